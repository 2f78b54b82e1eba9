//! The secrets Signet issues (API keys, fleet tokens): a prefix and the
//! base64url of 32 random bytes, shown once and stored only as the hex
//! SHA-256 of what was shown. One type serves every kind; a marker tells
//! the kinds apart so an API key's hash can never be looked up as a fleet's.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

use crate::crypto::sha256_hex;

/// Characters of the base64url of 32 bytes, unpadded.
const ENCODED_LEN: usize = 43;

/// What a kind of issued secret is called and how it starts.
pub trait SecretKind {
    /// The prefix that tells this kind from the others, for people and
    /// secret scanners.
    const PREFIX: &'static str;
    /// The secret's name in `Debug` output, which never shows the secret.
    const SECRET_NAME: &'static str;
    /// The hash's name in `Debug` output.
    const HASH_NAME: &'static str;
}

/// A freshly issued secret of kind `K`: 32 random bytes, shown once to its
/// owner.
pub struct IssuedSecret<K>(Zeroizing<String>, PhantomData<fn() -> K>);

impl<K: SecretKind> IssuedSecret<K> {
    /// The kind's prefix.
    pub const PREFIX: &'static str = K::PREFIX;

    /// Draws a new secret from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .expect("the operating system's random source");
        let secret = format!("{}{}", K::PREFIX, URL_SAFE_NO_PAD.encode(bytes.as_ref()));
        Self(Zeroizing::new(secret), PhantomData)
    }

    /// Whether `presented` has the shape of a secret of this kind: the
    /// prefix and the base64url of 32 bytes. Anything else is refused
    /// without asking the store, so random garbage cannot load the database.
    pub fn is_well_formed(presented: &str) -> bool {
        presented.strip_prefix(K::PREFIX).is_some_and(|rest| {
            rest.len() == ENCODED_LEN
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    }

    /// The secret, to show its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash to store.
    pub fn hash(&self) -> SecretHash<K> {
        SecretHash::of(&self.0)
    }
}

impl<K: SecretKind> fmt::Debug for IssuedSecret<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(<redacted>)", K::SECRET_NAME)
    }
}

/// The SHA-256 of a secret of kind `K`, hex-encoded: all the store keeps.
pub struct SecretHash<K>(pub String, PhantomData<fn() -> K>);

impl<K> SecretHash<K> {
    /// Hashes a presented secret.
    pub fn of(presented: &str) -> Self {
        Self(sha256_hex(presented.as_bytes()), PhantomData)
    }
}

impl<K: SecretKind> fmt::Debug for SecretHash<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(K::HASH_NAME).field(&self.0).finish()
    }
}

impl<K> Clone for SecretHash<K> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<K> PartialEq for SecretHash<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K> Eq for SecretHash<K> {}

impl<K> Hash for SecretHash<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}
