//! The tenant's audit trail: every change, whoever made it, newest first.

use axum::extract::State;
use axum::Json;
use signet_domain::{Action, AuditCursor, AuditQuery};

use super::extract::Reader;
use super::ConsoleState;
use crate::error::{Problem, Query};
use crate::wire::audit::{AuditItem, AuditPageBody, ListEvents, DEFAULT_LIMIT};

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
