//! The audit trail: who changed what, through which front end. Every change
//! use case takes an [`Origin`] and hands the store an [`AuditNote`]; the
//! store writes the event in the same transaction as the change, so a change
//! that fails leaves no event and an event never describes a change that did
//! not happen.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::InvalidValue;
use crate::fleet::FleetName;
use crate::key::{DkimKey, KeyId};
use crate::names::{DomainName, Selector};
use crate::tenant::{ApiKeyId, TenantId};

pub use crate::origin::{Actor, Origin, Via};

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A key was generated.
    KeyCreated,
    /// A key was imported from a private key the caller sent.
    KeyImported,
    /// A key's name, default flag or private key changed.
    KeyUpdated,
    /// A key may sign now.
    KeyActivated,
    /// A key may no longer sign.
    KeyDeactivated,
    /// A key was deleted.
    KeyDeleted,
    /// A key's DNS status changed (an explicit check or the re-check).
    KeyDnsChanged,
    /// A sending domain was registered.
    DomainRegistered,
    /// A sending domain was deleted.
    DomainDeleted,
    /// A domain's DKIM authority changed.
    AuthorityChanged,
    /// The selector a domain signs with changed.
    SelectorChanged,
    /// An API key was issued.
    ApiKeyCreated,
    /// An API key was revoked.
    ApiKeyRevoked,
    /// The tenant's settings changed.
    SettingsChanged,
    /// The tenant was created.
    TenantCreated,
    /// A rotation made a pending key.
    KeyRotated,
    /// A key moved to another rotation stage.
    KeyStageChanged,
    /// An authority's rotation settings changed.
    RotationChanged,
    /// A fleet and its token were made.
    FleetCreated,
    /// A fleet's token was revoked (the fleet is gone).
    FleetRevoked,
    /// A fleet read its feed, changed since its last recorded read.
    FleetRead,
    /// An authority's DNS publisher was set.
    PublisherSet,
    /// An authority's DNS publisher was removed.
    PublisherDeleted,
    /// A DNS publisher's update was taken by the tenant's name server.
    RecordsPublished,
    /// A DNS publisher's update failed (refused, wrong key, timeout).
    PublishFailed,
}

impl Action {
    /// Every action, for parsing and documentation.
    pub const ALL: [Self; 25] = [
        Self::KeyCreated,
        Self::KeyImported,
        Self::KeyUpdated,
        Self::KeyActivated,
        Self::KeyDeactivated,
        Self::KeyDeleted,
        Self::KeyDnsChanged,
        Self::DomainRegistered,
        Self::DomainDeleted,
        Self::AuthorityChanged,
        Self::SelectorChanged,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::SettingsChanged,
        Self::TenantCreated,
        Self::KeyRotated,
        Self::KeyStageChanged,
        Self::RotationChanged,
        Self::FleetCreated,
        Self::FleetRevoked,
        Self::FleetRead,
        Self::PublisherSet,
        Self::PublisherDeleted,
        Self::RecordsPublished,
        Self::PublishFailed,
    ];

    /// The name stored and shown, `noun.verb`: `key.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeyCreated => "key.created",
            Self::KeyImported => "key.imported",
            Self::KeyUpdated => "key.updated",
            Self::KeyActivated => "key.activated",
            Self::KeyDeactivated => "key.deactivated",
            Self::KeyDeleted => "key.deleted",
            Self::KeyDnsChanged => "key.dns_changed",
            Self::DomainRegistered => "domain.registered",
            Self::DomainDeleted => "domain.deleted",
            Self::AuthorityChanged => "domain.authority_changed",
            Self::SelectorChanged => "domain.selector_changed",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::SettingsChanged => "settings.changed",
            Self::TenantCreated => "tenant.created",
            Self::KeyRotated => "key.rotated",
            Self::KeyStageChanged => "key.stage_changed",
            Self::RotationChanged => "rotation.changed",
            Self::FleetCreated => "fleet.created",
            Self::FleetRevoked => "fleet.revoked",
            Self::FleetRead => "fleet.read",
            Self::PublisherSet => "publisher.set",
            Self::PublisherDeleted => "publisher.deleted",
            Self::RecordsPublished => "publisher.published",
            Self::PublishFailed => "publisher.failed",
        }
    }

    /// The action named by [`Action::as_str`].
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| InvalidValue(format!("{s:?} names no audited action")))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a recorded change ended. Only changes that happened are recorded (the
/// event commits with the change), so every stored event succeeded; the
/// field is there so the trail's shape can grow refusals without a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The change was made.
    Succeeded,
}

impl Outcome {
    /// `succeeded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
        }
    }

    /// The outcome named by [`Outcome::as_str`].
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "succeeded" => Ok(Self::Succeeded),
            _ => Err(InvalidValue(format!("{s:?} names no outcome"))),
        }
    }
}

/// What a change was made to; fields that do not apply are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditTarget {
    /// The key's signing domain, or the sending domain.
    pub domain: Option<DomainName>,
    /// The key's selector.
    pub selector: Option<Selector>,
    /// The key's per-tenant id (GreenArrow's id).
    pub key_id: Option<KeyId>,
    /// The API key issued or revoked.
    pub api_key_id: Option<ApiKeyId>,
    /// The fleet made, revoked or reading.
    pub fleet: Option<FleetName>,
}

/// One change, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When the change was made (the core's clock).
    pub at: DateTime<Utc>,
    /// Who, through what, from where.
    pub origin: Origin,
    /// What was done.
    pub action: Action,
    /// To what.
    pub target: AuditTarget,
    /// How it ended.
    pub outcome: Outcome,
    /// The key's public fingerprint: lower-case hex SHA-256 of its DER
    /// SubjectPublicKeyInfo. Never private material.
    pub fingerprint: Option<String>,
    /// A short note on the new state (`authority example.com`,
    /// `dns unknown -> valid`), never a secret.
    pub detail: Option<String>,
}

/// The part of an event the core knows before it writes: the store completes
/// it from the rows it writes (a new key's id, a deleted domain's keys), in
/// the change's own transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditNote {
    /// Where the change comes from.
    pub origin: Origin,
    /// What the change does.
    pub action: Action,
    /// When.
    pub at: DateTime<Utc>,
}

impl AuditNote {
    /// A note of `action` by `origin` at `at`.
    pub fn new(origin: &Origin, action: Action, at: DateTime<Utc>) -> Self {
        Self {
            origin: origin.clone(),
            action,
            at,
        }
    }

    /// The same origin and time with another action, for the side effects
    /// of a change (a deleted domain's keys).
    pub fn with_action(&self, action: Action) -> Self {
        Self {
            action,
            ..self.clone()
        }
    }

    /// The event about a key, as it stands after the change (or before a delete).
    pub fn about_key(&self, key: &DkimKey) -> AuditEvent {
        let mut event = self.event(AuditTarget {
            domain: Some(key.signing_domain.clone()),
            selector: Some(key.selector.clone()),
            key_id: Some(key.id),
            ..AuditTarget::default()
        });
        event.fingerprint = key.public_key.fingerprint();
        event
    }

    /// The event about a sending domain.
    pub fn about_domain(&self, name: &DomainName) -> AuditEvent {
        self.event(AuditTarget {
            domain: Some(name.clone()),
            ..AuditTarget::default()
        })
    }

    /// The event about an API key.
    pub fn about_api_key(&self, id: ApiKeyId) -> AuditEvent {
        self.event(AuditTarget {
            api_key_id: Some(id),
            ..AuditTarget::default()
        })
    }

    /// The event about a fleet.
    pub fn about_fleet(&self, name: &FleetName) -> AuditEvent {
        self.event(AuditTarget {
            fleet: Some(name.clone()),
            ..AuditTarget::default()
        })
    }

    /// The event about the tenant itself (settings, creation).
    pub fn about_tenant(&self) -> AuditEvent {
        self.event(AuditTarget::default())
    }

    fn event(&self, target: AuditTarget) -> AuditEvent {
        AuditEvent {
            at: self.at,
            origin: self.origin.clone(),
            action: self.action,
            target,
            outcome: Outcome::Succeeded,
            fingerprint: None,
            detail: None,
        }
    }
}

impl AuditEvent {
    /// The event with a note on the new state.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// An event's id: increasing, so newer events have larger ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuditId(pub i64);

impl fmt::Display for AuditId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its id.
    pub id: AuditId,
    /// The tenant whose data changed.
    pub tenant: TenantId,
    /// The event.
    pub event: AuditEvent,
}

/// Where a page of events resumes: an opaque token (see [`crate::cursor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    before: AuditId,
}

#[derive(Serialize, Deserialize)]
struct CursorToken {
    before: i64,
}

impl AuditCursor {
    /// The cursor a client sent back; refused unless Signet made it.
    pub fn parse(token: &str) -> Result<Self, InvalidValue> {
        crate::cursor::decode::<CursorToken>(token)
            .map(|t| Self {
                before: AuditId(t.before),
            })
            .ok_or_else(|| InvalidValue("must be a cursor from a previous page".into()))
    }

    /// The token to hand the client.
    pub fn token(&self) -> String {
        crate::cursor::encode(&CursorToken {
            before: self.before.0,
        })
    }

    /// Events older than this one.
    pub fn before(&self) -> AuditId {
        self.before
    }
}

/// A request for one page of a tenant's events, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this action (`key.created`); events of no such action match nothing.
    pub action: Option<String>,
    /// Continue after the page that handed out this cursor.
    pub cursor: Option<AuditCursor>,
    /// At most this many, clamped to 1..=[`AuditQuery::MAX_LIMIT`].
    pub limit: u64,
}

impl AuditQuery {
    /// The largest page.
    pub const MAX_LIMIT: u64 = 500;
}

/// A page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditRecord>,
    /// The next (older) page's cursor; `None` on the last page.
    pub next: Option<AuditCursor>,
}

impl AuditPage {
    /// The page of at most `limit` events from `events`, which holds up to
    /// one more to show whether an older page exists.
    pub fn from_overfetch(mut events: Vec<AuditRecord>, limit: u64) -> Self {
        let more = events.len() as u64 > limit;
        events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = more
            .then(|| events.last().map(|e| AuditCursor { before: e.id }))
            .flatten();
        Self { events, next }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Ok(action));
        }
        assert!(Action::parse("key.stolen").is_err());
    }

    #[test]
    fn a_cursor_survives_its_token_and_garbage_is_refused() {
        let cursor = AuditCursor {
            before: AuditId(42),
        };
        assert_eq!(AuditCursor::parse(&cursor.token()), Ok(cursor));
        assert!(AuditCursor::parse("42").is_err());
    }

    #[test]
    fn a_page_has_a_next_cursor_only_when_more_events_were_found() {
        let record = |id| AuditRecord {
            id: AuditId(id),
            tenant: TenantId(1),
            event: AuditNote::new(&Origin::cli(), Action::TenantCreated, Utc::now()).about_tenant(),
        };
        let full = AuditPage::from_overfetch(vec![record(9), record(8), record(7)], 2);
        assert_eq!(full.events.len(), 2);
        assert_eq!(full.next.map(|c| c.before()), Some(AuditId(8)));
        let last = AuditPage::from_overfetch(vec![record(9), record(8)], 2);
        assert_eq!(last.next, None);
    }
}
