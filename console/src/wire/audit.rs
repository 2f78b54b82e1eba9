//! The wire types of `audit.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::AuditRecord;
use utoipa::{IntoParams, ToSchema};

/// Events on a page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u64 = 100;

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    /// The event's id; later events have larger ids.
    pub id: i64,
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// The tenant's name.
    pub tenant: String,
    /// Who made it.
    pub actor: ActorItem,
    /// Through which front end: `mailgun`, `greenarrow`, `console`, `cli`, `recheck`, `rotation`, `fleet` or `publisher`.
    pub via: String,
    /// What it did, such as `key.created`.
    pub action: String,
    /// What it acted on.
    pub target: TargetItem,
    /// The `X-Request-Id` of the HTTP request that made it.
    pub request_id: Option<String>,
    /// The caller's IP address, for HTTP requests.
    pub ip: Option<String>,
    /// `succeeded`: only changes that happened are recorded.
    pub outcome: String,
    /// For keys, the public key's fingerprint (hex SHA-256 of its DER); never private material.
    pub fingerprint: Option<String>,
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorItem {
    /// `api_key`, `console`, `cli`, `system` or `fleet`.
    pub kind: String,
    /// The API key's id (never the key), the console user's `sub` or the fleet's name; `null` for `cli` and `system`.
    pub id: Option<String>,
}

/// What a change acted on; the fields that do not apply are `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetItem {
    /// The sending or signing domain.
    pub domain: Option<String>,
    /// The key's selector.
    pub selector: Option<String>,
    /// The DKIM key's id.
    pub key_id: Option<i64>,
    /// The API key's id, for `api_key.*` events.
    pub api_key_id: Option<i64>,
    /// The fleet's name, for `fleet.*` events.
    pub fleet: Option<String>,
}

impl AuditItem {
    pub fn of(record: &AuditRecord, tenant: &str) -> Self {
        let event = &record.event;
        let origin = &event.origin;
        Self {
            id: record.id.0,
            at: event.at,
            tenant: tenant.to_owned(),
            actor: ActorItem {
                kind: origin.actor.kind().to_owned(),
                id: origin.actor.id(),
            },
            via: origin.via.as_str().to_owned(),
            action: event.action.as_str().to_owned(),
            target: TargetItem {
                domain: event.target.domain.as_ref().map(ToString::to_string),
                selector: event.target.selector.as_ref().map(ToString::to_string),
                key_id: event.target.key_id.map(|id| id.0),
                api_key_id: event.target.api_key_id.map(|id| id.0),
                fleet: event.target.fleet.as_ref().map(ToString::to_string),
            },
            request_id: origin.request_id.clone(),
            ip: origin.ip.map(|ip| ip.to_string()),
            outcome: event.outcome.as_str().to_owned(),
            fingerprint: event.fingerprint.clone(),
        }
    }
}

/// One page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageBody {
    /// Events, newest first.
    pub items: Vec<AuditItem>,
    /// Pass as `cursor` for the next (older) page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Which events to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEvents {
    /// Only events of this action, such as `key.created`; empty for all.
    #[param(
        pattern = r"^(?:key\.created|key\.imported|key\.updated|key\.activated|key\.deactivated|key\.deleted|key\.dns_changed|domain\.registered|domain\.deleted|domain\.authority_changed|domain\.selector_changed|api_key\.created|api_key\.revoked|settings\.changed|tenant\.created|key\.rotated|key\.stage_changed|rotation\.changed|fleet\.created|fleet\.revoked|fleet\.read|publisher\.set|publisher\.deleted|publisher\.published|publisher\.failed)?$"
    )]
    pub action: Option<String>,
    /// `next_cursor` of the previous page. A cursor this server did not hand
    /// out is refused with 400.
    #[param(pattern = r"^[A-Za-z0-9_-]*={0,2}$", max_length = 512)]
    pub cursor: Option<String>,
    /// Events per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}
