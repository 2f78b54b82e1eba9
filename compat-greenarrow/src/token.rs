//! `page_token`: a keyset cursor, so following tokens through a list that
//! changes underneath never skips or repeats a key.

use serde::{Deserialize, Serialize};
use signet_domain::{cursor, DomainName, KeyId};

use crate::error::GaError;
use crate::list::MAX_PER_PAGE;

/// Where the next page starts and what the walk is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    /// The next page holds the keys with ids above this one.
    pub after: KeyId,
    /// The number the next page reports.
    pub page: u64,
    /// Records a page.
    pub per_page: u64,
    /// The `domain` filter of the walk.
    pub domain: Option<DomainName>,
}

/// The token's serialized form: short keys keep the token short.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    a: i64,
    p: u64,
    n: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
}

impl PageToken {
    /// The opaque string handed to clients: base64url of a small JSON object.
    pub fn encode(&self) -> String {
        let wire = Wire {
            a: self.after.0,
            p: self.page,
            n: self.per_page,
            d: self.domain.as_ref().map(ToString::to_string),
        };
        cursor::encode(&wire)
    }

    /// Reads a token; anything this module did not write is `invalid_request`.
    pub fn decode(token: &str) -> Result<Self, GaError> {
        let invalid = || GaError::invalid_request("page_token is not valid");
        let wire: Wire = cursor::decode(token).ok_or_else(invalid)?;
        let domain = wire
            .d
            .map(|d| DomainName::parse(&d))
            .transpose()
            .map_err(|_| invalid())?;
        // A forged token must not buy a page larger than `per_page` allows.
        if !(1..=MAX_PER_PAGE).contains(&wire.n) {
            return Err(invalid());
        }
        Ok(Self {
            after: KeyId(wire.a),
            page: wire.p,
            per_page: wire.n,
            domain,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    use super::*;

    #[test]
    fn a_token_round_trips() {
        let token = PageToken {
            after: KeyId(42),
            page: 3,
            per_page: 100,
            domain: Some(DomainName::parse("example.com").unwrap()),
        };
        let encoded = token.encode();
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(PageToken::decode(&encoded).unwrap(), token);
    }

    #[test]
    fn a_forged_token_cannot_ask_for_huge_pages() {
        for n in [0, MAX_PER_PAGE + 1, u64::MAX] {
            let json = format!(r#"{{"a":0,"p":0,"n":{n}}}"#);
            assert!(
                PageToken::decode(&URL_SAFE_NO_PAD.encode(json)).is_err(),
                "{n}"
            );
        }
    }

    #[test]
    fn garbage_is_not_a_token() {
        for bad in [
            "",
            "!!!",
            "e30",
            "eyJhIjoxfQ",
            &URL_SAFE_NO_PAD.encode(b"{\"a\":1,\"p\":1,\"n\":0}"),
        ] {
            assert!(PageToken::decode(bad).is_err(), "{bad}");
        }
    }
}
