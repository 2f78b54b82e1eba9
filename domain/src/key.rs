//! DKIM keys as the core sees them.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::algorithm::{KeyAlgorithm, KeyStage};
use crate::crypto::PublicKey;
use crate::dns::DnsCheck;
use crate::names::{DomainName, Selector};
use crate::origin::Via;

/// A key's identifier: an integer numbered per tenant, stable across dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub i64);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A stored DKIM key, without its private half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// Per-tenant identifier.
    pub id: KeyId,
    /// The domain whose DNS publishes the key (Mailgun's authority).
    pub signing_domain: DomainName,
    /// The selector, as given.
    pub selector: Selector,
    /// The RSA modulus size, or 256 for Ed25519 ([`crate::KeySpec::bits`]).
    pub bits: u32,
    /// The record's `p=`: base64 SubjectPublicKeyInfo for RSA, base64 of the
    /// raw 32-byte key for Ed25519.
    pub public_key: PublicKey,
    /// May sign mail (Mailgun's `is_active`).
    pub active: bool,
    /// The key its signing domain signs with when none is named.
    pub default_for_domain: bool,
    /// What DNS said when last asked.
    pub dns: DnsCheck,
    /// The front end that made it; `None` for keys made before Signet
    /// recorded it.
    pub created_via: Option<Via>,
    /// RSA or Ed25519.
    pub algorithm: KeyAlgorithm,
    /// Where it stands in its domain's rotation.
    pub stage: KeyStage,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it last became the active key; `None` if never through a
    /// rotation or an activation recorded since Signet kept stages.
    pub activated_at: Option<DateTime<Utc>>,
    /// When a newer key replaced it.
    pub retiring_at: Option<DateTime<Utc>>,
    /// When its record stopped being needed.
    pub retired_at: Option<DateTime<Utc>>,
}

impl DkimKey {
    /// Whether its DNS record may be removed.
    pub fn safe_to_remove(&self) -> bool {
        !self.stage.needs_record()
    }

    /// When it began to sign, as far as Signet knows: its activation, or
    /// its creation for keys older than rotation.
    pub fn signing_since(&self) -> DateTime<Utc> {
        self.activated_at.unwrap_or(self.created_at)
    }

    /// The TXT record receivers look up to verify this key's signatures.
    pub fn dns_record(&self) -> DnsRecord {
        DnsRecord::for_key(
            &self.signing_domain,
            &self.selector,
            self.algorithm,
            &self.public_key,
        )
    }
}

/// A DNS record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    /// `{selector}._domainkey.{domain}`.
    pub name: String,
    /// Always `TXT`.
    pub record_type: &'static str,
    /// `k={rsa|ed25519}; p={public key}`, unsplit.
    pub value: String,
}

impl DnsRecord {
    /// The record of a key with this name, algorithm and public key.
    pub fn for_key(
        domain: &DomainName,
        selector: &Selector,
        algorithm: KeyAlgorithm,
        public_key: &PublicKey,
    ) -> Self {
        Self {
            name: record_name(domain, selector),
            record_type: "TXT",
            value: format!("k={algorithm}; p={public_key}"),
        }
    }

    /// The value as DNS character-strings (RFC 1035 3.3.14) of at most 255
    /// bytes each, in order: joined, they equal `value`. A TXT record longer
    /// than 255 bytes must be published this way (RSA from 2048 bits).
    pub fn strings(&self) -> Vec<&str> {
        let mut strings = Vec::new();
        let mut rest = self.value.as_str();
        while !rest.is_empty() {
            let mut end = rest.len().min(MAX_STRING);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let (head, tail) = rest.split_at(end);
            strings.push(head);
            rest = tail;
        }
        strings
    }

    /// The record as one zone-file line: the absolute name, `ttl`, and the
    /// quoted strings (`"` and `\\` escaped), ready to paste into a zone.
    pub fn zone_line(&self, ttl: u32) -> String {
        let quoted: Vec<String> = self
            .strings()
            .iter()
            .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        format!(
            "{}. {ttl} IN {} {}",
            self.name,
            self.record_type,
            quoted.join(" ")
        )
    }
}

/// The longest DNS character-string, in bytes.
const MAX_STRING: usize = 255;

/// The DNS name where a key's record lives.
pub fn record_name(domain: &DomainName, selector: &Selector) -> String {
    format!("{selector}._domainkey.{domain}")
}

/// Which keys to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// Only keys of this signing domain.
    pub signing_domain: Option<DomainName>,
    /// Only keys with this selector (case-insensitive).
    pub selector: Option<Selector>,
}

/// Where a page of keys starts. Keys are ordered by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStart {
    /// The first keys.
    First,
    /// The last keys.
    Last,
    /// Keys with ids above this one.
    After(KeyId),
    /// Keys with ids below this one (the page just before it).
    Before(KeyId),
    /// Skip this many keys.
    Offset(u64),
}

/// A request for one page of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyQuery {
    /// Which keys.
    pub filter: KeyFilter,
    /// Where the page starts.
    pub start: PageStart,
    /// At most this many.
    pub limit: u64,
}

/// One page of keys and how many keys pass the filter on every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPage {
    /// The page's keys, in ascending id order.
    pub keys: Vec<DkimKey>,
    /// How many keys pass the query's filter, on every page.
    pub total: u64,
}

/// What a delete must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteRule {
    /// Any key may go.
    Any,
    /// Refuse to delete the last active key of a signing domain (Mailgun).
    KeepOneActive,
    /// Delete the key only if it is still in this stage (the rotation's
    /// deletes of retired keys).
    OnlyIn(KeyStage),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: &str) -> DnsRecord {
        DnsRecord {
            name: "s1._domainkey.example.com".into(),
            record_type: "TXT",
            value: value.into(),
        }
    }

    #[test]
    fn a_short_value_is_one_string() {
        assert_eq!(record("k=ed25519; p=abc").strings(), ["k=ed25519; p=abc"]);
        assert!(record("").strings().is_empty());
    }

    #[test]
    fn a_long_value_splits_into_strings_of_at_most_255_bytes() {
        let value = "x".repeat(255 * 2 + 7);
        let record = record(&value);
        let strings = record.strings();
        assert_eq!(
            strings.iter().map(|s| s.len()).collect::<Vec<_>>(),
            [255, 255, 7]
        );
        assert_eq!(strings.concat(), value);
        assert_eq!(self::record(&"y".repeat(255)).strings().len(), 1);
    }

    #[test]
    fn an_ed25519_record_is_k_ed25519() {
        let public = PublicKey("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".into());
        let record = DnsRecord::for_key(
            &DomainName::parse("football.example.com").unwrap(),
            &Selector::parse("brisbane").unwrap(),
            KeyAlgorithm::Ed25519,
            &public,
        );
        assert_eq!(record.name, "brisbane._domainkey.football.example.com");
        assert_eq!(
            record.value,
            "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
    }

    #[test]
    fn a_zone_line_quotes_each_string_and_escapes_quotes_and_backslashes() {
        assert_eq!(
            record(r#"a"b\c"#).zone_line(3600),
            r#"s1._domainkey.example.com. 3600 IN TXT "a\"b\\c""#
        );
        let long = record(&"z".repeat(300)).zone_line(60);
        let quoted = format!("\"{}\" \"{}\"", "z".repeat(255), "z".repeat(45));
        assert!(long.ends_with(&format!("60 IN TXT {quoted}")), "{long}");
    }
}
