//! The tenant's sending domains, with their DKIM authority, signing key,
//! DNS mode and the records to publish.

use axum::extract::State;
use axum::Json;
use signet_domain::{cursor, DomainOrder, DomainQuery};

use super::extract::Reader;
use super::keys::page_limit;
use super::ConsoleState;
use crate::error::{Problem, Query};
use crate::wire::domains::{DomainItem, DomainList, ListDomains, Skip};

/// List the tenant's sending domains.
///
/// Each with its DKIM authority, signing key, DNS mode (`txt`, or
/// `delegated` for Automatic Sender Security) and the records to publish:
/// the signing key's TXT record, or the CNAMEs into Signet's zone.
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
    let items = page.views.iter().map(DomainItem::of).collect();
    Ok(Json(DomainList { items, next_cursor }))
}
