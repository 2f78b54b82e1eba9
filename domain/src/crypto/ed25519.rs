//! Ed25519 key material (RFC 8463): a 32-byte seed and its public key.

use ring::rand::{SecureRandom as _, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use rsa::pkcs8::{ObjectIdentifier, PrivateKeyInfo};
use zeroize::Zeroizing;

/// id-Ed25519 (RFC 8410).
pub(super) const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The PKCS#8 v1 header OpenSSL writes before an Ed25519 seed: SEQUENCE,
/// version 0, the algorithm, and the OCTET STRING wrapping the seed.
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// An Ed25519 private key. Only the seed is kept (wiped on drop); ring's key
/// pair is built when needed and not kept, as ring does not wipe it.
#[derive(Clone)]
pub(super) struct Ed25519 {
    seed: Zeroizing<[u8; 32]>,
    public: [u8; 32],
}

impl Ed25519 {
    /// A new key from ring's system random source.
    pub(super) fn generate() -> Option<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        SystemRandom::new().fill(seed.as_mut()).ok()?;
        Self::from_seed(seed)
    }

    /// The key of a 32-byte seed (RFC 8032's private key).
    pub(super) fn from_seed(seed: Zeroizing<[u8; 32]>) -> Option<Self> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).ok()?;
        let public = pair.public_key().as_ref().try_into().ok()?;
        Some(Self { seed, public })
    }

    /// The key of a parsed PKCS#8 v1 or v2 structure whose algorithm is
    /// Ed25519. A v2 public key that does not match the seed is refused.
    pub(super) fn from_pkcs8(info: &PrivateKeyInfo<'_>) -> Option<Self> {
        // The private key is itself an OCTET STRING of the 32-byte seed.
        let seed = match info.private_key {
            [0x04, 0x20, seed @ ..] => seed,
            _ => return None,
        };
        let seed = Zeroizing::new(<[u8; 32]>::try_from(seed).ok()?);
        let key = Self::from_seed(seed)?;
        match info.public_key {
            Some(public) if public != key.public => None,
            _ => Some(key),
        }
    }

    /// The raw 32-byte public key, as the DNS record carries it.
    pub(super) fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// PKCS#8 v1 DER, as `openssl genpkey -algorithm ed25519` writes it.
    pub(super) fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let mut der = Zeroizing::new(Vec::with_capacity(48));
        der.extend_from_slice(&PKCS8_V1_PREFIX);
        der.extend_from_slice(self.seed.as_ref());
        der
    }
}
