//! DKIM keys as the core sees them.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::algorithm::{KeyAlgorithm, KeyStage};
use crate::audit::Via;
use crate::crypto::PublicKey;
use crate::dns::DnsCheck;
use crate::key_size::KeySize;
use crate::names::{DomainName, Selector};

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
    /// Modulus size.
    pub bits: KeySize,
    /// Base64 SubjectPublicKeyInfo.
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
        DnsRecord::for_key(&self.signing_domain, &self.selector, &self.public_key)
    }
}

/// A DNS record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    /// `{selector}._domainkey.{domain}`.
    pub name: String,
    /// Always `TXT`.
    pub record_type: &'static str,
    /// `k=rsa; p={public key}`, unsplit.
    pub value: String,
}

impl DnsRecord {
    /// The record of a key with this name and public key.
    pub fn for_key(domain: &DomainName, selector: &Selector, public_key: &PublicKey) -> Self {
        Self {
            name: record_name(domain, selector),
            record_type: "TXT",
            value: format!("k=rsa; p={public_key}"),
        }
    }
}

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
