//! RSA key material: generation, PEM import, and the public key for DNS.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPrivateKey;
use zeroize::Zeroizing;

use crate::error::InvalidValue;
use crate::key_size::KeySize;

/// An RSA private key of a size Signet accepts. Its `Debug` shows no secret,
/// and its memory is wiped when dropped.
#[derive(Clone)]
pub struct PrivateKey {
    key: RsaPrivateKey,
    size: KeySize,
}

/// A public key as published in DNS: base64 of the DER SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(pub String);

impl PrivateKey {
    /// Generates a key. CPU-bound for seconds at large sizes: call it from a
    /// blocking thread.
    pub fn generate(size: KeySize) -> Result<Self, InvalidValue> {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, size.bits() as usize)
            .map_err(|e| InvalidValue(format!("could not be generated: {e}")))?;
        Ok(Self { key, size })
    }

    /// Reads a PEM private key, PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8
    /// (`BEGIN PRIVATE KEY`), of 512 to 8192 bits.
    pub fn from_pem(pem: &str) -> Result<Self, InvalidValue> {
        let pem = pem.trim();
        let key = if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs1_pem(pem).ok()
        } else if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs8_pem(pem).ok()
        } else {
            None
        };
        let key = key.ok_or_else(|| InvalidValue("must be a valid private key".into()))?;
        Self::checked(key)
    }

    /// Reads a PKCS#8 DER key, as sealed in storage.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, InvalidValue> {
        let key = RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|_| InvalidValue("must be a valid private key".into()))?;
        Self::checked(key)
    }

    fn checked(key: RsaPrivateKey) -> Result<Self, InvalidValue> {
        key.validate()
            .map_err(|_| InvalidValue("must be a valid private key".into()))?;
        let bits = u32::try_from(key.size() * 8).unwrap_or(u32::MAX);
        let size = KeySize::try_from(bits).map_err(|_| {
            InvalidValue(format!(
                "must be a valid private key of {} to {} bits",
                KeySize::MIN,
                KeySize::MAX
            ))
        })?;
        Ok(Self { key, size })
    }

    /// The modulus size.
    pub fn size(&self) -> KeySize {
        self.size
    }

    /// The public half, as published in DNS.
    pub fn public_key(&self) -> PublicKey {
        let der = self
            .key
            .to_public_key()
            .to_public_key_der()
            .expect("an RSA public key always encodes");
        PublicKey(STANDARD.encode(der.as_bytes()))
    }

    /// PKCS#8 DER, for sealing at rest.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let doc = self
            .key
            .to_pkcs8_der()
            .expect("an RSA private key always encodes");
        Zeroizing::new(doc.as_bytes().to_vec())
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), the form signers read for every
    /// algorithm: what a fleet receives.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let der = self.to_pkcs8_der();
        let body = Zeroizing::new(STANDARD.encode(der.as_slice()));
        let mut pem = Zeroizing::new(String::with_capacity(body.len() + body.len() / 64 + 64));
        pem.push_str("-----BEGIN PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        pem
    }

    /// PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), the form the vendors show.
    pub fn to_pkcs1_pem(&self) -> Zeroizing<String> {
        let pem = self
            .key
            .to_pkcs1_pem(LineEnding::LF)
            .expect("an RSA private key always encodes");
        Zeroizing::new(pem.to_string())
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(<redacted>, {} bits)", self.size)
    }
}

impl PublicKey {
    /// The key's fingerprint for the audit trail: lower-case hex SHA-256 of
    /// its DER SubjectPublicKeyInfo. `None` if the stored base64 is damaged.
    pub fn fingerprint(&self) -> Option<String> {
        use sha2::{Digest as _, Sha256};
        let der = STANDARD.decode(&self.0).ok()?;
        Some(
            Sha256::digest(der)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
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
        PrivateKey::generate(KeySize::try_from(1024u32).unwrap()).unwrap()
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
        assert_eq!(small().size().bits(), 1024);
    }

    #[test]
    fn a_key_round_trips_through_pkcs1_pkcs8_and_der() {
        let key = small();
        let pkcs1 = PrivateKey::from_pem(&key.to_pkcs1_pem()).unwrap();
        assert_eq!(pkcs1.public_key(), key.public_key());
        let pkcs8_pem = key.key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let pkcs8 = PrivateKey::from_pem(&pkcs8_pem).unwrap();
        assert_eq!(pkcs8.public_key(), key.public_key());
        let der = PrivateKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap();
        assert_eq!(der.public_key(), key.public_key());
    }

    #[test]
    fn the_pkcs8_pem_is_what_the_pkcs8_encoder_writes_and_reads_back() {
        let key = small();
        let pem = key.to_pkcs8_pem();
        assert_eq!(*pem, *key.key.to_pkcs8_pem(LineEnding::LF).unwrap());
        assert_eq!(
            PrivateKey::from_pem(&pem).unwrap().public_key(),
            key.public_key()
        );
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
            "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ\n-----END PUBLIC KEY-----",
        ] {
            assert_eq!(
                PrivateKey::from_pem(bad).unwrap_err().0,
                "must be a valid private key"
            );
        }
    }

    #[test]
    fn the_vendors_toy_keys_are_too_small() {
        let toy = "-----BEGIN RSA PRIVATE KEY-----\nMC0CAQACBQCoJLcxAgMBAAECBBur+skCAwDfNwIDAMDXAgMAhSECAkWhAgMAyzU=\n-----END RSA PRIVATE KEY-----";
        assert!(PrivateKey::from_pem(toy).is_err());
    }

    #[test]
    fn debug_output_holds_no_key_material() {
        let key = small();
        let shown = format!("{key:?}");
        assert_eq!(shown, "PrivateKey(<redacted>, 1024 bits)");
    }
}
