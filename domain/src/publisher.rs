//! Publishing into the tenant's own DNS: per authority, a name server that
//! takes RFC 2136 updates signed with a TSIG key. Signet adds the TXT
//! record of every pending, active and retiring key and removes the records
//! it wrote for keys that are gone or retired, one exact RR at a time, so
//! records it did not write (an SPF TXT at the same name) stay.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::audit::AuditNote;
use crate::error::{InvalidValue, Result};
use crate::key::DnsRecord;
use crate::names::DomainName;
use crate::tenant::TenantId;
use crate::tsig::TsigKey;

/// The TTL of the records Signet adds: five minutes, so a retired key's
/// record leaves caches soon after it leaves the zone.
pub const PUBLISHED_TTL: u32 = 300;

/// The longest wait between two attempts of a failing publisher.
const MAX_BACKOFF_SECONDS: i64 = 300;

/// Where and how an authority's records are published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherConfig {
    /// The primary name server that takes the updates (IP and port).
    pub server: SocketAddr,
    /// The zone the updates are for: the authority or a parent of it.
    pub zone: DomainName,
    /// The key the updates are signed with; its secret is sealed at rest.
    pub key: TsigKey,
}

impl PublisherConfig {
    /// Whether `name` lies in the zone (is it or below it).
    pub fn holds(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let zone = self.zone.as_str().to_ascii_lowercase();
        name == zone || name.ends_with(&format!(".{zone}"))
    }
}

/// How the last attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishStatus {
    /// Set and not yet tried.
    Pending,
    /// The server took the last update.
    Ok,
    /// The last update failed; it is retried with backoff.
    Failing,
}

impl PublishStatus {
    /// `pending`, `ok` or `failing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Failing => "failing",
        }
    }

    /// The status named by [`PublishStatus::as_str`].
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "pending" => Ok(Self::Pending),
            "ok" => Ok(Self::Ok),
            "failing" => Ok(Self::Failing),
            _ => Err(InvalidValue(format!("{s:?} names no publisher status"))),
        }
    }
}

/// One TXT resource record: its owner name and its character-strings.
/// Deleting it removes this RR only, never the rest of the RRset.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxtRecord {
    /// The owner name, without the final dot.
    pub name: String,
    /// The character-strings, at most 255 bytes each.
    pub strings: Vec<String>,
}

impl TxtRecord {
    /// A key's record as published: its value split into ≤255-byte strings.
    pub fn of(record: &DnsRecord) -> Self {
        Self {
            name: record.name.to_ascii_lowercase(),
            strings: record.strings().into_iter().map(str::to_owned).collect(),
        }
    }
}

/// An authority's publisher: its settings, how it went, and the records
/// Signet wrote through it (the only ones it ever deletes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// The authority whose keys it publishes.
    pub authority: DomainName,
    /// Where and how.
    pub config: PublisherConfig,
    /// How the last attempt went.
    pub status: PublishStatus,
    /// Why the last attempt failed; never holds the secret.
    pub last_error: Option<String>,
    /// When the server last took an update.
    pub last_published_at: Option<DateTime<Utc>>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// A failing publisher is not tried again before this.
    pub retry_at: Option<DateTime<Utc>>,
    /// The records Signet wrote and has not removed.
    pub written: Vec<TxtRecord>,
    /// When the settings were last set: an outcome is stored only if they
    /// are still the ones it was attempted with.
    pub configured_at: DateTime<Utc>,
}

/// One RFC 2136 UPDATE: adds and exact-RR deletes in one zone, applied
/// together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneUpdate {
    /// The zone.
    pub zone: DomainName,
    /// The TTL of added records.
    pub ttl: u32,
    /// Records to add (adding one that exists changes nothing).
    pub add: Vec<TxtRecord>,
    /// Records to remove, each exactly (removing one that is gone changes nothing).
    pub delete: Vec<TxtRecord>,
}

impl ZoneUpdate {
    /// What takes the zone from `written` to `desired`.
    pub fn between(zone: &DomainName, written: &[TxtRecord], desired: &[TxtRecord]) -> Self {
        let written: BTreeSet<&TxtRecord> = written.iter().collect();
        let desired: BTreeSet<&TxtRecord> = desired.iter().collect();
        Self {
            zone: zone.clone(),
            ttl: PUBLISHED_TTL,
            add: desired.difference(&written).map(|r| (*r).clone()).collect(),
            delete: written.difference(&desired).map(|r| (*r).clone()).collect(),
        }
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.delete.is_empty()
    }
}

/// Why a name server did not apply an update. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateFailure {
    /// REFUSED: the server's update policy does not allow it.
    #[error("the server refused the update (REFUSED): check its update policy for the key")]
    Refused,
    /// NOTAUTH, or a TSIG error (BADKEY, BADSIG, BADTIME): the key is wrong
    /// or the server is not authoritative for the zone.
    #[error("the server did not accept the update's signature or zone ({0})")]
    NotAuthorized(String),
    /// A prerequisite failed: a CNAME at a record's name, or no such zone.
    #[error("a prerequisite failed ({0}): {1}")]
    Prerequisite(String, String),
    /// No answer in time.
    #[error("no answer from the server within {0} s")]
    Timeout(u64),
    /// The server could not be reached, or its answer was not DNS.
    #[error("cannot talk to the server: {0}")]
    Unreachable(String),
    /// Another response code.
    #[error("the server answered {0}")]
    Rcode(String),
}

/// What an attempt came to, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The server took the update: the zone now holds `written`.
    Published {
        /// Every record Signet has in the zone now.
        written: Vec<TxtRecord>,
        /// How many the update added.
        added: usize,
        /// How many it removed.
        removed: usize,
        /// When.
        at: DateTime<Utc>,
    },
    /// It failed; tried again from `retry_at`.
    Failed {
        /// Why, for the console.
        error: String,
        /// Failed attempts in a row, this one included.
        failures: u32,
        /// The next attempt's earliest time.
        retry_at: DateTime<Utc>,
    },
}

impl PublishOutcome {
    /// A short note for the audit trail: `added 1, removed 0`, or the error.
    pub fn detail(&self) -> String {
        match self {
            Self::Published { added, removed, .. } => format!("added {added}, removed {removed}"),
            Self::Failed { error, .. } => error.clone(),
        }
    }

    /// The outcome of the `failures`-th failure in a row at `now`: the wait
    /// doubles from a second up to five minutes.
    pub fn failed(error: &UpdateFailure, failures: u32, now: DateTime<Utc>) -> Self {
        let wait = 1i64
            .checked_shl(failures.saturating_sub(1).min(20))
            .unwrap_or(MAX_BACKOFF_SECONDS)
            .min(MAX_BACKOFF_SECONDS);
        Self::Failed {
            error: error.to_string(),
            failures,
            retry_at: now + Duration::seconds(wait),
        }
    }
}

/// Publishers, with their TSIG secrets sealed at rest, and the records
/// each wrote.
#[async_trait]
pub trait PublisherStore: Send + Sync {
    /// Sets an authority's publisher at `audit.at` and records `audit`
    /// about the authority. Its status becomes `pending`; the records it
    /// wrote are kept while the server and zone stay the same (they are
    /// still there to remove) and forgotten otherwise.
    async fn set_publisher(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        config: &PublisherConfig,
        audit: &AuditNote,
    ) -> Result<Publisher>;
    /// An authority's publisher, with its secret opened.
    async fn publisher(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<Publisher>>;
    /// Removes an authority's publisher and records `audit`; false if there
    /// was none. What it wrote stays in the zone.
    async fn delete_publisher(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<bool>;
    /// Authorities with a publisher, across tenants, by tenant and name,
    /// after `after`, at most `limit`. Only for the background, which then
    /// acts on each for its own tenant.
    async fn publisher_authorities(
        &self,
        after: Option<(TenantId, DomainName)>,
        limit: u64,
    ) -> Result<Vec<(TenantId, DomainName)>>;
    /// Stores an attempt's outcome, and `audit` about the authority if
    /// given (with the outcome's counts or error as its detail), unless the publisher was set again after `configured_at`
    /// (then the next pass starts over). False if not stored.
    async fn record_publish(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        configured_at: DateTime<Utc>,
        outcome: &PublishOutcome,
        audit: Option<&AuditNote>,
    ) -> Result<bool>;
}

/// Sends RFC 2136 updates signed with TSIG.
#[async_trait]
pub trait DnsUpdater: Send + Sync {
    /// Sends one UPDATE to `config.server`, signed with `config.key`, and
    /// waits for its answer.
    async fn update(
        &self,
        config: &PublisherConfig,
        update: &ZoneUpdate,
    ) -> std::result::Result<(), UpdateFailure>;
}

impl fmt::Display for PublishStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, value: &str) -> TxtRecord {
        TxtRecord {
            name: name.into(),
            strings: vec![value.into()],
        }
    }

    #[test]
    fn an_update_adds_what_is_missing_and_removes_only_what_signet_wrote() {
        let zone = DomainName::parse("example.com").unwrap();
        let old = record("s1._domainkey.example.com", "k=rsa; p=OLD");
        let kept = record("s2._domainkey.example.com", "k=rsa; p=KEPT");
        let new = record("s3._domainkey.example.com", "k=rsa; p=NEW");
        let update = ZoneUpdate::between(&zone, &[old.clone(), kept.clone()], &[kept, new.clone()]);
        assert_eq!(update.add, vec![new]);
        assert_eq!(update.delete, vec![old]);
        assert!(ZoneUpdate::between(&zone, &[], &[]).is_empty());
    }

    #[test]
    fn a_zone_holds_itself_and_names_below_it_only() {
        let config = PublisherConfig {
            server: "127.0.0.1:53".parse().unwrap(),
            zone: DomainName::parse("example.com").unwrap(),
            key: TsigKey::parse("k:hmac-sha256:c2VjcmV0").unwrap(),
        };
        assert!(config.holds("example.com"));
        assert!(config.holds("s1._domainkey.Example.COM."));
        assert!(!config.holds("badexample.com"));
        assert!(!config.holds("example.org"));
    }

    #[test]
    fn the_wait_after_a_failure_doubles_up_to_five_minutes() {
        let now = Utc::now();
        let wait = |n| match PublishOutcome::failed(&UpdateFailure::Refused, n, now) {
            PublishOutcome::Failed { retry_at, .. } => (retry_at - now).num_seconds(),
            PublishOutcome::Published { .. } => unreachable!("a failure"),
        };
        assert_eq!([wait(1), wait(2), wait(3)], [1, 2, 4]);
        assert_eq!(wait(30), 300);
    }

    #[test]
    fn every_status_reads_back_from_its_name() {
        for status in [
            PublishStatus::Pending,
            PublishStatus::Ok,
            PublishStatus::Failing,
        ] {
            assert_eq!(PublishStatus::parse(status.as_str()), Ok(status));
        }
        assert!(PublishStatus::parse("broken").is_err());
    }
}
