//! Key material, RSA or Ed25519: generation, import, the public key for
//! DNS, and the PKCS#8 form sealed at rest.

mod ed25519;

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::pkcs8::der::SecretDocument;
use rsa::pkcs8::{
    DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding, PrivateKeyInfo,
};
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPrivateKey;
use zeroize::Zeroizing;

use self::ed25519::Ed25519;
use crate::algorithm::KeyAlgorithm;
use crate::error::InvalidValue;
use crate::key_size::{KeySize, KeySpec};

/// A private key Signet accepts: RSA of 512 to 8192 bits, or Ed25519. Its
/// `Debug` shows no secret, and its memory is wiped when dropped.
#[derive(Clone)]
pub struct PrivateKey(Inner);

#[derive(Clone)]
enum Inner {
    // Boxed: an RSA key is five times the size of an Ed25519 seed and key.
    Rsa {
        key: Box<RsaPrivateKey>,
        size: KeySize,
    },
    Ed25519(Ed25519),
}

/// A public key as published in DNS (the record's `p=`): base64 of the DER
/// SubjectPublicKeyInfo for RSA, of the raw 32-byte key for Ed25519.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(pub String);

fn invalid() -> InvalidValue {
    InvalidValue("must be a valid private key".into())
}

impl PrivateKey {
    /// Generates an RSA key. CPU-bound for seconds at large sizes: call it
    /// from a blocking thread.
    pub fn generate_rsa(size: KeySize) -> Result<Self, InvalidValue> {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, size.bits() as usize)
            .map_err(|e| InvalidValue(format!("could not be generated: {e}")))?;
        Ok(Self(Inner::Rsa {
            key: Box::new(key),
            size,
        }))
    }

    /// Generates an Ed25519 key with `ring`; takes microseconds.
    pub fn generate_ed25519() -> Result<Self, InvalidValue> {
        Ed25519::generate()
            .map(|key| Self(Inner::Ed25519(key)))
            .ok_or_else(|| InvalidValue("could not be generated".into()))
    }

    /// Reads a key as clients send it: PEM, PKCS#1 (`BEGIN RSA PRIVATE
    /// KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`, RSA or Ed25519), or an Ed25519
    /// seed as 44 characters of base64 (how dkimpy and rspamd keep it).
    pub fn import(text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        if text.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            let key = RsaPrivateKey::from_pkcs1_pem(text).map_err(|_| invalid())?;
            Self::rsa(key)
        } else if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            let (label, der) = SecretDocument::from_pem(text).map_err(|_| invalid())?;
            if label != "PRIVATE KEY" {
                return Err(invalid());
            }
            Self::from_pkcs8_der(der.as_bytes())
        } else {
            Self::from_seed_base64(text)
        }
    }

    fn from_seed_base64(text: &str) -> Result<Self, InvalidValue> {
        let bytes = Zeroizing::new(STANDARD.decode(text).map_err(|_| invalid())?);
        let seed = Zeroizing::new(<[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| invalid())?);
        Ed25519::from_seed(seed)
            .map(|key| Self(Inner::Ed25519(key)))
            .ok_or_else(invalid)
    }

    /// Reads a PKCS#8 DER key (v1 or v2), as sealed in storage.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, InvalidValue> {
        let info = PrivateKeyInfo::try_from(der).map_err(|_| invalid())?;
        if info.algorithm.oid == ed25519::OID {
            Ed25519::from_pkcs8(&info)
                .map(|key| Self(Inner::Ed25519(key)))
                .ok_or_else(invalid)
        } else {
            // Checks the algorithm is RSA itself.
            Self::rsa(RsaPrivateKey::from_pkcs8_der(der).map_err(|_| invalid())?)
        }
    }

    fn rsa(key: RsaPrivateKey) -> Result<Self, InvalidValue> {
        key.validate().map_err(|_| invalid())?;
        let bits = u32::try_from(key.size() * 8).unwrap_or(u32::MAX);
        let size = KeySize::try_from(bits).map_err(|_| {
            InvalidValue(format!(
                "must be a valid private key of {} to {} bits",
                KeySize::MIN,
                KeySize::MAX
            ))
        })?;
        Ok(Self(Inner::Rsa {
            key: Box::new(key),
            size,
        }))
    }

    /// RSA or Ed25519.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.spec().algorithm()
    }

    /// The algorithm and, for RSA, the modulus size.
    pub fn spec(&self) -> KeySpec {
        match &self.0 {
            Inner::Rsa { size, .. } => KeySpec::Rsa(*size),
            Inner::Ed25519(_) => KeySpec::Ed25519,
        }
    }

    /// The public half, as published in DNS.
    pub fn public_key(&self) -> PublicKey {
        match &self.0 {
            Inner::Rsa { key, .. } => {
                let der = key
                    .to_public_key()
                    .to_public_key_der()
                    .expect("an RSA public key always encodes");
                PublicKey(STANDARD.encode(der.as_bytes()))
            }
            Inner::Ed25519(key) => PublicKey(STANDARD.encode(key.public())),
        }
    }

    /// PKCS#8 DER, for sealing at rest; v1 (seed only) for Ed25519.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        match &self.0 {
            Inner::Rsa { key, .. } => {
                let doc = key
                    .to_pkcs8_der()
                    .expect("an RSA private key always encodes");
                Zeroizing::new(doc.as_bytes().to_vec())
            }
            Inner::Ed25519(key) => key.to_pkcs8_der(),
        }
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), readable by OpenSSL for both
    /// algorithms.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let der = SecretDocument::try_from(self.to_pkcs8_der().as_slice())
            .expect("Signet's own PKCS#8 DER always parses");
        der.to_pem("PRIVATE KEY", LineEnding::LF)
            .expect("a PKCS#8 document always encodes as PEM")
    }

    /// The PEM the vendors show: PKCS#1 (`BEGIN RSA PRIVATE KEY`) for RSA;
    /// Ed25519 has no PKCS#1 form, so PKCS#8.
    pub fn to_pem(&self) -> Zeroizing<String> {
        match &self.0 {
            Inner::Rsa { key, .. } => {
                let pem = key
                    .to_pkcs1_pem(LineEnding::LF)
                    .expect("an RSA private key always encodes");
                Zeroizing::new(pem.to_string())
            }
            Inner::Ed25519(_) => self.to_pkcs8_pem(),
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.spec() {
            KeySpec::Rsa(size) => write!(f, "PrivateKey(<redacted>, {size} bits)"),
            KeySpec::Ed25519 => f.write_str("PrivateKey(<redacted>, ed25519)"),
        }
    }
}

impl PublicKey {
    /// The key's fingerprint for the audit trail: lower-case hex SHA-256 of
    /// the bytes `p=` carries (the DER SubjectPublicKeyInfo for RSA, the raw
    /// 32-byte key for Ed25519). `None` if the stored base64 is damaged.
    pub fn fingerprint(&self) -> Option<String> {
        let der = STANDARD.decode(&self.0).ok()?;
        Some(sha256_hex(&der))
    }
}

/// The lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    // By table, not `format!` per byte: every authenticated request hashes
    // its API key.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut hex = String::with_capacity(2 * digest.as_ref().len());
    for byte in digest.as_ref() {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> PrivateKey {
        PrivateKey::generate_rsa(KeySize::try_from(1024u32).unwrap()).unwrap()
    }

    /// RFC 8463 Appendix A.2's example key.
    const RFC_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    const RFC_PUBLIC: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    fn rfc_pem() -> String {
        let mut der = hex("302e020100300506032b657004220420");
        der.extend(STANDARD.decode(RFC_SEED).unwrap());
        let body = STANDARD.encode(der);
        format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn sha256_hex_is_the_lower_case_hex_of_the_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_fingerprint_is_the_sha256_of_the_public_der_in_hex() {
        let key = small().public_key();
        let fingerprint = key.fingerprint().unwrap();
        assert_eq!(fingerprint.len(), 64);
        assert!(fingerprint
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(small().public_key().fingerprint(), Some(fingerprint));
        assert_eq!(PublicKey("!!".into()).fingerprint(), None);
    }

    #[test]
    fn a_generated_key_has_the_size_asked_for() {
        assert_eq!(small().spec().bits(), 1024);
        assert_eq!(small().algorithm(), KeyAlgorithm::Rsa);
    }

    #[test]
    fn a_key_round_trips_through_pkcs1_pkcs8_and_der() {
        let key = small();
        let pkcs1 = PrivateKey::import(&key.to_pem()).unwrap();
        assert_eq!(pkcs1.public_key(), key.public_key());
        let pkcs8 = PrivateKey::import(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(pkcs8.public_key(), key.public_key());
        let der = PrivateKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap();
        assert_eq!(der.public_key(), key.public_key());
    }

    #[test]
    fn the_public_key_is_base64_spki() {
        let p = small().public_key().0;
        assert!(
            p.starts_with("MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ"),
            "{p}"
        );
    }

    #[test]
    fn garbage_and_public_keys_are_not_private_keys() {
        for bad in [
            "",
            "hello",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ\n-----END PUBLIC KEY-----",
            // 31 and 33 bytes of base64 are no Ed25519 seed.
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                PrivateKey::import(bad).unwrap_err().0,
                "must be a valid private key",
                "{bad}"
            );
        }
    }

    #[test]
    fn the_vendors_toy_keys_are_too_small() {
        let toy = "-----BEGIN RSA PRIVATE KEY-----\nMC0CAQACBQCoJLcxAgMBAAECBBur+skCAwDfNwIDAMDXAgMAhSECAkWhAgMAyzU=\n-----END RSA PRIVATE KEY-----";
        assert!(PrivateKey::import(toy).is_err());
    }

    #[test]
    fn debug_output_holds_no_key_material() {
        assert_eq!(
            format!("{:?}", small()),
            "PrivateKey(<redacted>, 1024 bits)"
        );
        let ed = PrivateKey::import(RFC_SEED).unwrap();
        assert_eq!(format!("{ed:?}"), "PrivateKey(<redacted>, ed25519)");
    }

    #[test]
    fn the_rfc_8463_seed_gives_its_public_key() {
        let key = PrivateKey::import(RFC_SEED).unwrap();
        assert_eq!(key.spec(), KeySpec::Ed25519);
        assert_eq!(key.public_key().0, RFC_PUBLIC);
        assert_eq!(key.public_key().0.len(), 44);
    }

    #[test]
    fn an_openssl_pkcs8_pem_imports_and_seals_as_the_same_der() {
        let key = PrivateKey::import(&rfc_pem()).unwrap();
        assert_eq!(key.public_key().0, RFC_PUBLIC);
        let der = key.to_pkcs8_der();
        assert_eq!(der[..16], hex("302e020100300506032b657004220420"));
        assert_eq!(der[16..], STANDARD.decode(RFC_SEED).unwrap());
        assert_eq!(*key.to_pkcs8_pem(), rfc_pem());
        assert_eq!(*key.to_pem(), *key.to_pkcs8_pem());
    }

    #[test]
    fn ring_pkcs8_v2_with_its_public_key_imports() {
        let rng = ring::rand::SystemRandom::new();
        let v2 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(v2.as_ref()).unwrap();
        let key = PrivateKey::from_pkcs8_der(v2.as_ref()).unwrap();
        use ring::signature::KeyPair as _;
        assert_eq!(key.public_key().0, STANDARD.encode(pair.public_key()));
    }

    #[test]
    fn a_v2_public_key_that_is_not_the_seeds_is_refused() {
        let rng = ring::rand::SystemRandom::new();
        let mut v2 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let last = v2.len() - 1;
        v2[last] ^= 1;
        assert!(PrivateKey::from_pkcs8_der(&v2).is_err());
    }

    #[test]
    fn a_generated_ed25519_key_round_trips_through_der() {
        let key = PrivateKey::generate_ed25519().unwrap();
        let back = PrivateKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert_ne!(
            PrivateKey::generate_ed25519().unwrap().public_key(),
            key.public_key()
        );
        assert_eq!(key.public_key().fingerprint().map(|f| f.len()), Some(64));
    }
}
