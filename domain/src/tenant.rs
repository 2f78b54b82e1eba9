//! Tenants, their settings, and the API keys that authenticate them.

use std::fmt;

use crate::error::{InvalidValue, RuleViolation};
use crate::issued_secret::{IssuedSecret, SecretHash, SecretKind};
use crate::key_size::KeySpec;

/// A tenant's database identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(pub i64);

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A tenant's unique name: 1 to 64 lower-case letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantName(String);

impl TenantName {
    /// Parses a tenant name.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue(
                "must be 1 to 64 lower-case letters, digits, dashes or underscores".into(),
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Per-tenant policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TenantSettings {
    /// Whether private keys may leave Signet at all (GreenArrow's `key.private`).
    pub private_key_export: bool,
    /// The smallest RSA key the tenant may generate or import.
    pub min_rsa_bits: MinRsaBits,
}

/// The smallest RSA key a tenant may generate or import: 512, 1024 or 2048
/// bits. RFC 8301 forbids verifiers to accept signatures by keys under 1024
/// bits, so 1024 is the default and 512 is only for a tenant that asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinRsaBits(u32);

impl MinRsaBits {
    /// The sizes a tenant may choose.
    pub const CHOICES: [u32; 3] = [512, 1024, 2048];

    /// The minimum in bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Refuses an RSA key smaller than the minimum (Ed25519 has no weak
    /// size); `imported` says whether it was sent by the client (so a
    /// dialect can name the field it came in).
    pub fn check(self, spec: KeySpec, imported: bool) -> Result<(), RuleViolation> {
        match spec {
            KeySpec::Rsa(size) if size.bits() < self.0 => Err(RuleViolation::WeakKey {
                bits: size.bits(),
                min: self.0,
                imported,
            }),
            _ => Ok(()),
        }
    }
}

impl Default for MinRsaBits {
    fn default() -> Self {
        Self(1024)
    }
}

impl TryFrom<u32> for MinRsaBits {
    type Error = InvalidValue;

    fn try_from(bits: u32) -> Result<Self, Self::Error> {
        if Self::CHOICES.contains(&bits) {
            Ok(Self(bits))
        } else {
            Err(InvalidValue("must be 512, 1024 or 2048".into()))
        }
    }
}

impl fmt::Display for MinRsaBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An authenticated tenant. Holding one is the capability to act on its data:
/// only the auth layer and the tenant store hand them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Identifier, the owner of every row.
    pub id: TenantId,
    /// Unique name.
    pub name: TenantName,
    /// Policy.
    pub settings: TenantSettings,
}

/// What the auth layer concluded about a request. The HTTP layer puts one in
/// every request's extensions; each dialect answers `Rejected` with its own 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Valid credentials of this tenant.
    Authenticated(Tenant),
    /// Missing, malformed, unknown or revoked credentials.
    Rejected,
    /// The credentials could not be checked (the store is down).
    Unavailable,
}

/// An API key's identifier, used to revoke it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiKeyId(pub i64);

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Marks API keys (`sgn_`, so secret scanners recognise Signet keys).
#[derive(Debug)]
pub enum ApiKeyKind {}

impl SecretKind for ApiKeyKind {
    const PREFIX: &'static str = "sgn_";
    const SECRET_NAME: &'static str = "ApiKeySecret";
    const HASH_NAME: &'static str = "ApiKeyHash";
}

/// A freshly made API key: 32 random bytes, shown once to its owner.
pub type ApiKeySecret = IssuedSecret<ApiKeyKind>;

/// The SHA-256 of an API key, hex-encoded: all the store ever keeps.
pub type ApiKeyHash = SecretHash<ApiKeyKind>;

/// A stored API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// Identifier.
    pub id: ApiKeyId,
    /// What its owner called it, if anything (keys from the CLI have none).
    pub label: Option<ApiKeyLabel>,
    /// When it was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last authenticated a request, to the minute; `None` if never.
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A person's name for an API key ("CI", "mail relay 2"): 1 to 100
/// characters, no control characters, never secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyLabel(String);

impl ApiKeyLabel {
    /// Parses a label; surrounding whitespace is dropped.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if (1..=100).contains(&s.chars().count()) && !s.chars().any(char::is_control) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue(
                "must be 1 to 100 characters with no control characters".into(),
            ))
        }
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_are_long_random_and_hash_to_what_is_presented() {
        let a = ApiKeySecret::generate();
        let b = ApiKeySecret::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().len() >= ApiKeySecret::PREFIX.len() + 43);
        assert_eq!(a.hash(), ApiKeyHash::of(a.expose()));
        assert_eq!(a.hash().0.len(), 64);
        assert!(!format!("{a:?}").contains(&a.expose()[4..]));
    }

    #[test]
    fn only_issued_shaped_keys_are_well_formed() {
        let issued = ApiKeySecret::generate();
        assert!(ApiKeySecret::is_well_formed(issued.expose()));
        let body = &issued.expose()[4..];
        for bad in [
            "",
            "sgn_wrong",
            body,
            &format!("sgn_{body}x"),
            &format!("sgn_{}", &body[1..]),
            &format!("sgn_{}+", &body[1..]),
            &format!("xyz_{body}"),
        ] {
            assert!(!ApiKeySecret::is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn the_minimum_rsa_size_is_1024_unless_chosen_from_three_sizes() {
        assert_eq!(MinRsaBits::default().bits(), 1024);
        for bits in MinRsaBits::CHOICES {
            assert_eq!(MinRsaBits::try_from(bits).unwrap().bits(), bits);
        }
        for bits in [0, 511, 768, 4096] {
            assert!(MinRsaBits::try_from(bits).is_err(), "{bits}");
        }
    }

    #[test]
    fn a_key_below_the_minimum_is_refused_and_one_at_it_is_not() {
        let min = MinRsaBits::default();
        let size = |bits: u32| KeySpec::Rsa(crate::KeySize::try_from(bits).unwrap());
        assert!(min.check(size(1024), true).is_ok());
        assert!(MinRsaBits::try_from(2048u32)
            .unwrap()
            .check(KeySpec::Ed25519, true)
            .is_ok());
        assert!(min.check(size(4096), false).is_ok());
        assert_eq!(
            min.check(size(512), true),
            Err(RuleViolation::WeakKey {
                bits: 512,
                min: 1024,
                imported: true
            })
        );
    }

    #[test]
    fn an_api_key_label_is_trimmed_short_text_without_control_characters() {
        assert_eq!(
            ApiKeyLabel::parse(" CI relay ").unwrap().as_str(),
            "CI relay"
        );
        assert!(ApiKeyLabel::parse("   ").is_err());
        assert!(ApiKeyLabel::parse("a\nb").is_err());
        assert!(ApiKeyLabel::parse(&"é".repeat(100)).is_ok());
        assert!(ApiKeyLabel::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn tenant_names_are_simple_slugs() {
        assert!(TenantName::parse("acme-corp_1").is_ok());
        assert!(TenantName::parse("").is_err());
        assert!(TenantName::parse("Acme").is_err());
        assert!(TenantName::parse(&"a".repeat(65)).is_err());
    }
}
