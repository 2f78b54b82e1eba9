//! TSIG keys (RFC 8945), as operators write them: `NAME:ALGORITHM:BASE64SECRET`,
//! the form `SIGNET_DNS_TSIG_KEY` and a publisher's settings use. The
//! secret never shows in `Debug` or `Display`.

use std::fmt;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::InvalidValue;
use crate::names::DomainName;

/// A TSIG MAC algorithm Signet signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsigAlgorithm {
    /// `hmac-sha256`, BIND's and Knot's default.
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl TsigAlgorithm {
    /// The name operators write (and BIND's `tsig-keygen -a` takes).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    /// Reads an algorithm name, ignoring ASCII case.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hmac-sha256" => Ok(Self::HmacSha256),
            "hmac-sha384" => Ok(Self::HmacSha384),
            "hmac-sha512" => Ok(Self::HmacSha512),
            _ => Err(InvalidValue(
                "must be hmac-sha256, hmac-sha384 or hmac-sha512".into(),
            )),
        }
    }
}

impl fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named TSIG key with its shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    /// The key's name, as both ends know it (such as `xfr` or `signet-update`).
    pub name: DomainName,
    /// The MAC algorithm.
    pub algorithm: TsigAlgorithm,
    secret: Zeroizing<Vec<u8>>,
}

impl TsigKey {
    /// A key from its parts; the secret must not be empty.
    pub fn new(
        name: DomainName,
        algorithm: TsigAlgorithm,
        secret: Vec<u8>,
    ) -> Result<Self, InvalidValue> {
        if secret.is_empty() {
            return Err(InvalidValue("a TSIG secret must not be empty".into()));
        }
        Ok(Self {
            name,
            algorithm,
            secret: Zeroizing::new(secret),
        })
    }

    /// Reads `NAME:ALGORITHM:BASE64SECRET`, such as
    /// `xfr:hmac-sha256:c2VjcmV0...`. An error never quotes the secret.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let mut parts = s.trim().splitn(3, ':');
        let (Some(name), Some(algorithm), Some(secret)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(InvalidValue(
                "must be NAME:ALGORITHM:BASE64SECRET, such as xfr:hmac-sha256:c2VjcmV0".into(),
            ));
        };
        let name = DomainName::parse(name.trim().trim_end_matches('.'))
            .map_err(|e| InvalidValue(format!("key name {e}")))?;
        let algorithm = TsigAlgorithm::parse(algorithm)?;
        Self::new(name, algorithm, decode_secret(secret)?)
    }

    /// The shared secret.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The secret in base64, as BIND and Knot configuration files want it.
    pub fn secret_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*self.secret))
    }
}

/// Decodes a base64 secret (standard alphabet, padding optional).
pub fn decode_secret(s: &str) -> Result<Vec<u8>, InvalidValue> {
    let s = s.trim().trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(s)
        .ok()
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| InvalidValue("the secret must be non-empty base64".into()))
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name.as_str())
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl fmt::Display for TsigKey {
    /// `NAME:ALGORITHM:<redacted>`: what a log or a CLI may print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:<redacted>", self.name.as_str(), self.algorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_read_from_name_algorithm_and_base64() {
        let key = TsigKey::parse("xfr:HMAC-SHA256:c2VjcmV0").unwrap();
        assert_eq!(key.name.as_str(), "xfr");
        assert_eq!(key.algorithm, TsigAlgorithm::HmacSha256);
        assert_eq!(key.secret(), b"secret");
        assert_eq!(key.secret_base64().as_str(), "c2VjcmV0");
        let padded = TsigKey::parse("k.example:hmac-sha512:c2VjcmV0Cg==").unwrap();
        assert_eq!(padded.secret(), b"secret\n");
    }

    #[test]
    fn nothing_prints_the_secret() {
        let key = TsigKey::parse("xfr:hmac-sha256:c2VjcmV0").unwrap();
        assert!(!format!("{key:?}").contains("c2VjcmV0"));
        assert_eq!(key.to_string(), "xfr:hmac-sha256:<redacted>");
    }

    #[test]
    fn bad_keys_are_refused_without_quoting_the_secret() {
        for bad in [
            "",
            "xfr",
            "xfr:hmac-sha256",
            "xfr:hmac-md5:c2VjcmV0",
            "xfr:hmac-sha256:",
            "xfr:hmac-sha256:not base64!",
            "bad name:hmac-sha256:c2VjcmV0",
        ] {
            let e = TsigKey::parse(bad).unwrap_err();
            assert!(!e.0.contains("not base64"), "{bad}: {e:?}");
        }
    }
}
