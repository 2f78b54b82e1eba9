//! Encryption at rest: private keys are sealed with AES-256-GCM under a
//! master key. Each ciphertext is stored beside the id of the master key that
//! sealed it, so a keyring holding the old keys can still open it after the
//! master key is rotated.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::digest::{digest, SHA256};
use ring::hkdf;
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

/// Size of a master key in bytes.
const KEY_LEN: usize = 32;
/// Size of the GCM tag appended to each ciphertext.
const TAG_LEN: usize = 16;

/// A 256-bit master key. Its `Debug` shows only its id, and its bytes are
/// wiped when dropped.
#[derive(Clone)]
pub struct MasterKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    id: String,
}

/// Why a master key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterKeyError {
    /// Not base64 at all.
    #[error("the master key must be base64")]
    NotBase64,
    /// Base64 of the wrong number of bytes.
    #[error("the master key must be base64 of exactly 32 bytes, got {0}")]
    WrongLength(usize),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Random,
}

impl MasterKey {
    /// Reads base64 (standard alphabet, padded) of 32 bytes; surrounding
    /// whitespace, such as a key file's final newline, is ignored.
    pub fn from_base64(encoded: &str) -> Result<Self, MasterKeyError> {
        let decoded = Zeroizing::new(
            STANDARD
                .decode(encoded.trim())
                .map_err(|_| MasterKeyError::NotBase64)?,
        );
        let bytes: [u8; KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError::WrongLength(decoded.len()))?;
        Ok(Self::from_bytes(Zeroizing::new(bytes)))
    }

    /// Draws a new key from the operating system's random source.
    pub fn generate() -> Result<Self, MasterKeyError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| MasterKeyError::Random)?;
        Ok(Self::from_bytes(bytes))
    }

    fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        let fingerprint = digest(&SHA256, bytes.as_ref());
        let id = fingerprint.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self { bytes, id }
    }

    /// The key as base64, to write to a key file.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes.as_ref()))
    }

    /// A short public fingerprint (16 hex digits of its SHA-256), stored
    /// beside each ciphertext to name the key that sealed it.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn aead(&self) -> LessSafeKey {
        let key = UnboundKey::new(&AES_256_GCM, self.bytes.as_ref())
            .expect("a 32-byte key always fits AES-256");
        LessSafeKey::new(key)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

/// The master key that seals, and older ones that may still open.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

/// A sealed value and the id of the master key that sealed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the master key.
    pub kid: String,
    /// nonce || ciphertext || tag.
    pub bytes: Vec<u8>,
}

/// Why a value could not be sealed or opened. Says nothing of the plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The keyring has no master key with this id.
    #[error("no master key with id {0} in the keyring")]
    UnknownKey(String),
    /// The ciphertext is damaged, or belongs to another row.
    #[error("the sealed value fails authentication")]
    Corrupt,
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Random,
}

impl Keyring {
    /// A keyring that seals and opens with one master key.
    pub fn new(current: MasterKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Adds a retired master key, used only to open what it sealed.
    pub fn with_previous(mut self, key: MasterKey) -> Self {
        self.previous.push(key);
        self
    }

    /// A 32-byte secret for `purpose`, derived from the current master key
    /// by HKDF-SHA256: the same on every node that shares the master key,
    /// and unrelated to the master key or to any other purpose's secret.
    pub fn derive(&self, purpose: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
        struct Len;
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                KEY_LEN
            }
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"signet derived secret")
            .extract(self.current.bytes.as_ref());
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        prk.expand(&[purpose], Len)
            .and_then(|okm| okm.fill(out.as_mut()))
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// The ids of every key in the ring, the current one first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(MasterKey::id)
    }

    /// Seals under the current master key with a fresh random nonce. `aad`
    /// binds the ciphertext to its context: opening needs the same bytes.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        // Sized up front so the buffer never reallocates and leaves a copy
        // of the plaintext behind.
        let mut bytes = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(plaintext);
        let tag = self
            .current
            .aead()
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut bytes[NONCE_LEN..],
            )
            .map_err(|_| SealError::Corrupt)?;
        bytes.extend_from_slice(tag.as_ref());
        Ok(Sealed {
            kid: self.current.id().to_owned(),
            bytes,
        })
    }

    /// Opens a value sealed by the master key `kid` under the same `aad`.
    pub fn open(
        &self,
        kid: &str,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id() == kid)
            .ok_or_else(|| SealError::UnknownKey(kid.to_owned()))?;
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Corrupt);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Corrupt)?;
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let len = key
            .aead()
            .open_in_place(nonce, Aad::from(aad), &mut buffer)
            .map_err(|_| SealError::Corrupt)?
            .len();
        buffer.truncate(len);
        Ok(buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::new(MasterKey::generate().unwrap())
    }

    #[test]
    fn derived_secrets_follow_the_master_key_and_the_purpose() {
        let key = MasterKey::generate().unwrap();
        let ring = Keyring::new(key.clone());
        let again = Keyring::new(key);
        let other = Keyring::new(MasterKey::generate().unwrap());
        assert_eq!(*ring.derive(b"a"), *again.derive(b"a"));
        assert_ne!(*ring.derive(b"a"), *ring.derive(b"b"));
        assert_ne!(*ring.derive(b"a"), *other.derive(b"a"));
    }

    #[test]
    fn a_sealed_value_opens_with_the_same_context() {
        let ring = keyring();
        let sealed = ring.seal(b"secret der", b"ctx").unwrap();
        assert_eq!(sealed.kid, ring.current_id());
        assert_eq!(sealed.bytes.len(), NONCE_LEN + 10 + TAG_LEN);
        assert!(!sealed.bytes.windows(6).any(|w| w == b"secret"));
        let opened = ring.open(&sealed.kid, &sealed.bytes, b"ctx").unwrap();
        assert_eq!(opened.as_slice(), b"secret der");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let ring = keyring();
        let a = ring.seal(b"same", b"ctx").unwrap();
        let b = ring.seal(b"same", b"ctx").unwrap();
        assert_ne!(a.bytes, b.bytes);
    }

    #[test]
    fn any_flipped_bit_is_detected() {
        let ring = keyring();
        let sealed = ring.seal(b"secret der", b"ctx").unwrap();
        for i in 0..sealed.bytes.len() {
            let mut tampered = sealed.bytes.clone();
            tampered[i] ^= 0x01;
            assert_eq!(
                ring.open(&sealed.kid, &tampered, b"ctx").unwrap_err(),
                SealError::Corrupt,
                "byte {i}"
            );
        }
        let truncated = &sealed.bytes[..NONCE_LEN + TAG_LEN - 1];
        assert_eq!(
            ring.open(&sealed.kid, truncated, b"ctx").unwrap_err(),
            SealError::Corrupt
        );
    }

    #[test]
    fn another_context_cannot_open_it() {
        let ring = keyring();
        let sealed = ring.seal(b"secret der", b"tenant 1 key 1").unwrap();
        assert_eq!(
            ring.open(&sealed.kid, &sealed.bytes, b"tenant 2 key 1")
                .unwrap_err(),
            SealError::Corrupt
        );
    }

    #[test]
    fn another_master_key_cannot_open_it() {
        let sealed = keyring().seal(b"secret der", b"ctx").unwrap();
        let other = keyring();
        assert_eq!(
            other.open(&sealed.kid, &sealed.bytes, b"ctx").unwrap_err(),
            SealError::UnknownKey(sealed.kid.clone())
        );
        // Even under a forged id, the wrong key fails authentication.
        assert_eq!(
            other
                .open(other.current_id(), &sealed.bytes, b"ctx")
                .unwrap_err(),
            SealError::Corrupt
        );
    }

    #[test]
    fn after_rotation_old_values_open_and_new_ones_use_the_new_key() {
        let old = MasterKey::generate().unwrap();
        let sealed = Keyring::new(old.clone()).seal(b"secret", b"ctx").unwrap();
        let new = MasterKey::generate().unwrap();
        let rotated = Keyring::new(new.clone()).with_previous(old.clone());
        let opened = rotated.open(&sealed.kid, &sealed.bytes, b"ctx").unwrap();
        assert_eq!(opened.as_slice(), b"secret");
        assert_eq!(rotated.seal(b"x", b"ctx").unwrap().kid, new.id());
        assert_ne!(new.id(), old.id());
    }

    #[test]
    fn a_master_key_round_trips_through_base64() {
        let key = MasterKey::generate().unwrap();
        let again = MasterKey::from_base64(&format!("{}\n", key.to_base64().as_str())).unwrap();
        assert_eq!(again.id(), key.id());
        assert_eq!(key.id().len(), 16);
        assert!(key.id().bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn a_master_key_must_be_base64_of_32_bytes() {
        assert_eq!(
            MasterKey::from_base64("not base64!").unwrap_err(),
            MasterKeyError::NotBase64
        );
        assert_eq!(
            MasterKey::from_base64(&STANDARD.encode([0u8; 16])).unwrap_err(),
            MasterKeyError::WrongLength(16)
        );
    }

    #[test]
    fn debug_output_shows_only_the_key_id() {
        let key = MasterKey::generate().unwrap();
        let ring = Keyring::new(key.clone());
        let secret = key.to_base64();
        for shown in [format!("{key:?}"), format!("{ring:?}")] {
            assert!(shown.contains(key.id()), "{shown}");
            assert!(!shown.contains(secret.as_str()), "{shown}");
        }
        assert_eq!(format!("{key:?}"), format!("MasterKey({})", key.id()));
    }
}
