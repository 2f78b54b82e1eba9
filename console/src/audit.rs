//! The tenant's audit trail: every change, whoever made it, newest first.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::{Action, AuditCursor, AuditQuery, AuditRecord};
use utoipa::{IntoParams, ToSchema};

use super::auth::Reader;
use super::ConsoleState;
use crate::error::{Problem, Query};

/// Events on a page unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 100;

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    /// The event's id; later events have larger ids.
    id: i64,
    /// When the change was made.
    at: DateTime<Utc>,
    /// The tenant's name.
    tenant: String,
    /// Who made it.
    actor: ActorItem,
    /// Through which front end: `mailgun`, `greenarrow`, `console`, `cli`, `recheck`, `rotation` or `fleet`.
    via: String,
    /// What it did, such as `key.created`.
    action: String,
    /// What it acted on.
    target: TargetItem,
    /// The `X-Request-Id` of the HTTP request that made it.
    request_id: Option<String>,
    /// The caller's IP address, for HTTP requests.
    ip: Option<String>,
    /// `succeeded`: only changes that happened are recorded.
    outcome: String,
    /// For keys, the public key's fingerprint (hex SHA-256 of its DER); never private material.
    fingerprint: Option<String>,
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorItem {
    /// `api_key`, `console`, `cli`, `system` or `fleet`.
    kind: String,
    /// The API key's id (never the key), the console user's `sub` or the fleet's name; `null` for `cli` and `system`.
    id: Option<String>,
}

/// What a change acted on; the fields that do not apply are `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetItem {
    /// The sending or signing domain.
    domain: Option<String>,
    /// The key's selector.
    selector: Option<String>,
    /// The DKIM key's id.
    key_id: Option<i64>,
    /// The API key's id, for `api_key.*` events.
    api_key_id: Option<i64>,
    /// The fleet's name, for `fleet.*` events.
    fleet: Option<String>,
}

impl AuditItem {
    fn of(record: &AuditRecord, tenant: &str) -> Self {
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
    items: Vec<AuditItem>,
    /// Pass as `cursor` for the next (older) page; `null` on the last.
    next_cursor: Option<String>,
}

/// Which events to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEvents {
    /// Only events of this action, such as `key.created`.
    action: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Events per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

/// List the tenant's audit trail.
///
/// Every change to the tenant, from either dialect, the console, the command
/// line or the DNS re-check, newest first.
#[utoipa::path(
    get,
    path = "/console/v1/audit",
    tag = "Audit",
    params(ListEvents),
    responses((status = 200, description = "A page of events, newest first", body = AuditPageBody))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn list_events(
    member: Reader,
    State(state): State<ConsoleState>,
    Query(query): Query<ListEvents>,
) -> Result<Json<AuditPageBody>, Problem> {
    let Reader(member) = member;
    let limit = match query.limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=AuditQuery::MAX_LIMIT => n,
        _ => return Err(Problem::bad_request("limit must be from 1 to 500")),
    };
    // An empty parameter is an absent one, as generated clients send them.
    let action = super::nonempty(query.action.as_deref())
        .map(Action::parse)
        .transpose()
        .map_err(|e| Problem::bad_request(format!("action {e}")))?;
    let cursor = super::nonempty(query.cursor.as_deref())
        .map(AuditCursor::parse)
        .transpose()
        .map_err(|_| Problem::bad_request("cursor must be a next_cursor of a previous page"))?;
    let audit_query = AuditQuery {
        action: action.map(|a| a.as_str().to_owned()),
        cursor,
        limit,
    };
    let page = state
        .core
        .audit_events(&member.tenant, &audit_query)
        .await?;
    let tenant = member.tenant.name.as_str();
    Ok(Json(AuditPageBody {
        items: page
            .events
            .iter()
            .map(|record| AuditItem::of(record, tenant))
            .collect(),
        next_cursor: page.next.map(|c| c.token()),
    }))
}
