//! Fleets: the signers (OpenDKIM, rspamd, ...) a tenant runs, each reading
//! the keys of some of its domains through a token of its own. A fleet token
//! is the deliberate way private keys leave Signet, whatever the tenant's
//! export policy says; it is no dialect credential, and an API key is no
//! fleet credential.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::algorithm::KeyStage;
use crate::crypto::PrivateKey;
use crate::error::InvalidValue;
use crate::issued_secret::{IssuedSecret, SecretHash, SecretKind};
use crate::key::DkimKey;
use crate::names::DomainName;
use crate::tenant::Tenant;

/// A fleet's name, unique within its tenant: 1 to 64 lower-case letters,
/// digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FleetName(String);

impl FleetName {
    /// Parses a fleet name.
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

impl fmt::Display for FleetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The signing domains a fleet reads: 1 to [`FleetDomains::MAX`] distinct
/// domains, kept in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetDomains(Vec<DomainName>);

impl FleetDomains {
    /// The most domains one fleet may read.
    pub const MAX: usize = 100;

    /// The domains of a list; duplicates collapse.
    pub fn new(domains: impl IntoIterator<Item = DomainName>) -> Result<Self, InvalidValue> {
        let mut list: Vec<DomainName> = domains.into_iter().collect();
        list.sort();
        list.dedup();
        if list.is_empty() {
            return Err(InvalidValue("must name at least one domain".into()));
        }
        if list.len() > Self::MAX {
            return Err(InvalidValue(format!(
                "must name at most {} domains",
                Self::MAX
            )));
        }
        Ok(Self(list))
    }

    /// Parses a comma-separated list (`a.example,b.example`).
    pub fn parse_list(s: &str) -> Result<Self, InvalidValue> {
        let domains = s
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                DomainName::parse(d).map_err(|e| {
                    InvalidValue(format!("has {:?}, which {e}", crate::excerpt::excerpt(d)))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(domains)
    }

    /// The domains, sorted.
    pub fn as_slice(&self) -> &[DomainName] {
        &self.0
    }

    /// Whether `domain` is one of them.
    pub fn contains(&self, domain: &DomainName) -> bool {
        self.0.contains(domain)
    }
}

/// A fleet's database identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FleetId(pub i64);

/// A fleet, without its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    /// Identifier.
    pub id: FleetId,
    /// Unique within the tenant.
    pub name: FleetName,
    /// What it reads.
    pub domains: FleetDomains,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Marks fleet tokens (`sgf_`, so people and secret scanners tell them from
/// API keys).
#[derive(Debug)]
pub enum FleetTokenKind {}

impl SecretKind for FleetTokenKind {
    const PREFIX: &'static str = "sgf_";
    const SECRET_NAME: &'static str = "FleetToken";
    const HASH_NAME: &'static str = "FleetTokenHash";
}

/// A fresh fleet token: 32 random bytes, shown once to its owner.
pub type FleetToken = IssuedSecret<FleetTokenKind>;

/// The SHA-256 of a fleet token, hex-encoded: all the store keeps.
pub type FleetTokenHash = SecretHash<FleetTokenKind>;

/// A fleet a live token belongs to, with its tenant: what the feed serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetAccess {
    /// The owner of the keys.
    pub tenant: Tenant,
    /// The fleet.
    pub fleet: Fleet,
    /// The ETag of the feed last recorded as read in the audit trail, so a
    /// poll of an unchanged feed records nothing.
    pub last_read: Option<String>,
}

/// A key a fleet receives, with its private half.
#[derive(Debug, Clone)]
pub struct FeedKey {
    /// The key.
    pub key: DkimKey,
    /// Its private half, for the signer.
    pub private_key: PrivateKey,
}

impl FeedKey {
    /// Whether a fleet receives a key: pending, active or retiring, and not
    /// switched off while active (a switched-off key may not sign).
    pub fn is_served(key: &DkimKey) -> bool {
        match key.stage {
            KeyStage::Active => key.active,
            KeyStage::Pending | KeyStage::Retiring => true,
            KeyStage::Retired => false,
        }
    }

    /// Whether a signer signs with it now.
    pub fn signing(&self) -> bool {
        self.key.stage == KeyStage::Active && self.key.active
    }
}

/// What a fleet reads: its keys, by domain then selector.
#[derive(Debug, Clone)]
pub struct FleetFeed {
    /// Who reads, and for which tenant.
    pub access: FleetAccess,
    /// The keys served.
    pub keys: Vec<FeedKey>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_tokens_are_random_prefixed_and_hash_to_what_is_presented() {
        let a = FleetToken::generate();
        let b = FleetToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("sgf_"));
        assert!(FleetToken::is_well_formed(a.expose()));
        assert_eq!(a.hash(), FleetTokenHash::of(a.expose()));
        assert!(!format!("{a:?}").contains(&a.expose()[4..]));
    }

    #[test]
    fn an_api_key_or_a_truncated_token_is_not_a_fleet_token() {
        let token = FleetToken::generate();
        let body = &token.expose()[4..];
        for bad in [
            "",
            body,
            &format!("sgn_{body}"),
            &format!("sgf_{}", &body[1..]),
            &format!("sgf_{body}x"),
        ] {
            assert!(!FleetToken::is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn fleet_names_are_simple_slugs() {
        assert!(FleetName::parse("mta-eu_1").is_ok());
        assert!(FleetName::parse("").is_err());
        assert!(FleetName::parse("MTA").is_err());
        assert!(FleetName::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_domain_list_is_sorted_deduplicated_and_never_empty() {
        let domains = FleetDomains::parse_list("b.example, a.example,b.example").unwrap();
        let names: Vec<_> = domains.as_slice().iter().map(|d| d.as_str()).collect();
        assert_eq!(names, ["a.example", "b.example"]);
        assert!(FleetDomains::parse_list("").is_err());
        assert!(FleetDomains::parse_list(" , ").is_err());
        assert!(FleetDomains::parse_list("a.example,not a domain").is_err());
    }
}
