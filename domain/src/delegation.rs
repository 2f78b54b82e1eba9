//! Delegated DKIM records: Mailgun's Automatic Sender Security. A tenant
//! publishes CNAMEs once, from `<selector>._domainkey.<domain>` to
//! `<selector>._domainkey.<label>.<zone>` in the zone Signet answers for,
//! and Signet serves there the TXT records of the authority's pending,
//! active and retiring keys, so a rotation needs no change to the tenant's
//! DNS. A delegated authority's keys take turns on a pair of selectors per
//! algorithm (Mailgun's `pdk1` and `pdk2`), so the CNAMEs never change.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::algorithm::KeyAlgorithm;
use crate::error::{InvalidValue, Result};
use crate::key::{DkimKey, DnsRecord};
use crate::names::{DomainName, Selector};
use crate::tenant::TenantId;

/// The label under Signet's zone that holds one delegated authority's
/// records: random, stable for the authority's life, unique across every
/// tenant, and telling nothing about the tenant or the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneLabel(String);

/// Letters of a label: lower-case letters and digits, as DNS compares
/// names without case.
const LABEL_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

impl ZoneLabel {
    /// Characters in a label: 80 random bits.
    pub const LEN: usize = 16;

    /// A new label from the operating system's random source.
    pub fn random() -> Self {
        let mut bytes = [0u8; Self::LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the operating system's random source works");
        let label = bytes
            .iter()
            .map(|b| LABEL_ALPHABET[usize::from(b % 32)] as char)
            .collect();
        Self(label)
    }

    /// Reads a stored label.
    pub fn parse(s: &str) -> std::result::Result<Self, InvalidValue> {
        let ok = s.len() == Self::LEN && s.bytes().all(|b| LABEL_ALPHABET.contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue(format!(
                "must be {} lower-case letters and digits 2 to 7",
                Self::LEN
            )))
        }
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZoneLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two selectors a delegated authority's keys of `algorithm` take turns
/// on: `pdk1`/`pdk2` for RSA (Mailgun's), `pde1`/`pde2` for Ed25519.
pub fn selector_pair(algorithm: KeyAlgorithm) -> [Selector; 2] {
    let names = match algorithm {
        KeyAlgorithm::Rsa => ["pdk1", "pdk2"],
        KeyAlgorithm::Ed25519 => ["pde1", "pde2"],
    };
    names.map(|name| Selector::parse(name).expect("a valid literal selector"))
}

/// Where, in Signet's `zone`, the record of `selector` of the authority
/// with `label` is served: `<selector>._domainkey.<label>.<zone>`, the
/// target of the tenant's CNAME.
pub fn served_name(zone: &DomainName, label: &ZoneLabel, selector: &Selector) -> String {
    format!("{selector}._domainkey.{label}.{zone}")
}

/// A key whose record Signet's zone serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedKey {
    /// Whose key it is.
    pub tenant: TenantId,
    /// Its authority's label.
    pub label: ZoneLabel,
    /// The key (pending, active or retiring).
    pub key: DkimKey,
}

impl ServedKey {
    /// Its TXT record as served in `zone`: the key's own record's value,
    /// under the name the tenant's CNAME points at.
    pub fn record(&self, zone: &DomainName) -> DnsRecord {
        DnsRecord {
            name: served_name(zone, &self.label, &self.key.selector),
            ..self.key.dns_record()
        }
    }
}

/// What a tenant's served set looks like, cheaply: a node compares it with
/// the last it saw to know, without reading every key, whether the
/// tenant's records changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZoneVersion {
    /// Whose records.
    pub tenant: TenantId,
    /// Keys of its delegated authorities in any stage.
    pub keys: u64,
    /// The latest change to one of them.
    pub changed_at: Option<DateTime<Utc>>,
}

/// Reads what Signet's zone serves, across tenants: the zone is one for
/// all of them, and each tenant's records sit under labels of their own.
#[async_trait]
pub trait ServedKeys: Send + Sync {
    /// The pending, active and retiring keys of delegated authorities: of
    /// one tenant, or of every tenant.
    async fn served_keys(&self, tenant: Option<TenantId>) -> Result<Vec<ServedKey>>;

    /// Every tenant's [`ZoneVersion`] (tenants with no delegated authority
    /// are absent).
    async fn zone_versions(&self) -> Result<Vec<ZoneVersion>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_random_and_read_back() {
        let a = ZoneLabel::random();
        let b = ZoneLabel::random();
        assert_ne!(a, b);
        assert_eq!(ZoneLabel::parse(a.as_str()).unwrap(), a);
        assert!(ZoneLabel::parse("short").is_err());
        assert!(ZoneLabel::parse("ABCDEFGHIJKLMNOP").is_err());
    }

    #[test]
    fn a_served_name_sits_under_the_label_in_the_zone() {
        let zone = DomainName::parse("dkim.signet.example").unwrap();
        let label = ZoneLabel::parse("abcdefgh23456723").unwrap();
        let [first, second] = selector_pair(KeyAlgorithm::Rsa);
        assert_eq!(
            served_name(&zone, &label, &first),
            "pdk1._domainkey.abcdefgh23456723.dkim.signet.example"
        );
        assert_eq!(second.as_str(), "pdk2");
    }
}
