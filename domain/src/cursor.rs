//! Opaque page cursors: a small serde value carried as base64url JSON, so a
//! dialect can hand clients a token they cannot read and cannot usefully
//! forge (each dialect still checks what it decodes).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Longest token read: real ones are a few dozen characters, so anything
/// longer is refused before it is decoded.
const MAX_TOKEN_LEN: usize = 512;

/// The token for `value`: base64url (no padding) of its JSON.
pub fn encode<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).expect("a cursor always serializes");
    URL_SAFE_NO_PAD.encode(json)
}

/// The value a token made by [`encode`] carries; `None` for anything else.
/// Trailing `=` padding, which some clients add, is ignored.
pub fn decode<T: DeserializeOwned>(token: &str) -> Option<T> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let json = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct At {
        after: i64,
    }

    #[test]
    fn a_cursor_survives_its_token() {
        let token = encode(&At { after: 42 });
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(decode::<At>(&token), Some(At { after: 42 }));
        assert_eq!(decode::<At>(&format!("{token}==")), Some(At { after: 42 }));
    }

    #[test]
    fn garbage_and_oversized_tokens_carry_nothing() {
        assert_eq!(decode::<At>(""), None);
        assert_eq!(decode::<At>("!!!"), None);
        assert_eq!(decode::<At>(&encode(&"sideways")), None);
        assert_eq!(decode::<At>(&"A".repeat(MAX_TOKEN_LEN + 1)), None);
    }
}
