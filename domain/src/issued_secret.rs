//! The shape shared by the secrets Signet issues (API keys, fleet tokens):
//! a prefix and the base64url of 32 random bytes, stored only as the hex
//! SHA-256 of what was shown.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// Characters of the base64url of 32 bytes, unpadded.
const ENCODED_LEN: usize = 43;

/// Draws a new secret with `prefix` from the operating system's random source.
pub(crate) fn generate(prefix: &str) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(format!(
        "{prefix}{}",
        URL_SAFE_NO_PAD.encode(bytes.as_ref())
    ))
}

/// Whether `presented` is `prefix` and the base64url of 32 bytes. Anything
/// else is refused without asking the store, so garbage cannot load it.
pub(crate) fn is_well_formed(prefix: &str, presented: &str) -> bool {
    presented.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == ENCODED_LEN
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The hex SHA-256 of a presented secret: all the store keeps.
pub(crate) fn hash(presented: &str) -> String {
    Sha256::digest(presented.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
