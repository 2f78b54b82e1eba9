//! The tenant's sending domains, with their DKIM authority and signing key.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::{cursor, DomainOrder, DomainQuery};
use utoipa::{IntoParams, ToSchema};

use super::auth::Reader;
use super::keys::{page_limit, DnsState};
use super::ConsoleState;
use crate::error::{Problem, Query};

/// A sending domain.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainItem {
    /// The domain.
    name: String,
    /// Whose keys sign its mail: itself or a parent domain.
    authority: String,
    /// The selector of the key it signs with; `null` if its authority has no default key.
    selector: Option<String>,
    /// That key's id.
    key_id: Option<i64>,
    /// That key's DNS record and state.
    dns: Option<DnsState>,
    /// When it was registered.
    created_at: DateTime<Utc>,
}

/// One page of domains.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainList {
    /// Domains by name.
    items: Vec<DomainItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

/// Which page of domains.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDomains {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Domains per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// What a domain page cursor carries.
#[derive(Debug, Serialize, Deserialize)]
struct Skip {
    skip: u64,
}

/// List the tenant's sending domains.
#[utoipa::path(
    get,
    path = "/console/v1/domains",
    tag = "Domains",
    params(ListDomains),
    responses((status = 200, description = "A page of domains, by name", body = DomainList))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn list_domains(
    member: Reader,
    State(state): State<ConsoleState>,
    Query(query): Query<ListDomains>,
) -> Result<Json<DomainList>, Problem> {
    let Reader(member) = member;
    let limit = page_limit(query.limit)?;
    let skip = match &query.cursor {
        None => 0,
        Some(token) => {
            cursor::decode::<Skip>(token)
                .ok_or_else(|| {
                    Problem::bad_request("cursor must be a next_cursor of a previous page")
                })?
                .skip
        }
    };
    let page = state
        .core
        .find_domains(
            &member.tenant,
            &DomainQuery {
                authority: None,
                name_contains: None,
                verified: None,
                order: DomainOrder::NameAscending,
                skip,
                limit,
            },
        )
        .await?;
    let shown = skip + page.views.len() as u64;
    let next_cursor = (shown < page.total).then(|| cursor::encode(&Skip { skip: shown }));
    let items = page
        .views
        .iter()
        .map(|view| DomainItem {
            name: view.domain.name.to_string(),
            authority: view.domain.authority.to_string(),
            selector: view.signing_key.as_ref().map(|k| k.selector.to_string()),
            key_id: view.signing_key.as_ref().map(|k| k.id.0),
            dns: view.signing_key.as_ref().map(DnsState::of),
            created_at: view.domain.created_at,
        })
        .collect();
    Ok(Json(DomainList { items, next_cursor }))
}
