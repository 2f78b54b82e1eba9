//! `GET /ga/api/v3/eng/dkim_keys`: one page of keys, optionally for one domain.

use axum::extract::State;
use signet_domain::{KeyFilter, KeyPage, KeyQuery};

use crate::error::{ErrorEnvelope, GreenArrowError};
use crate::extract::{Caller, QueryParams};
use crate::paging::{ListParams, Plan};
use crate::wire::envelope::Envelope;
use crate::wire::key::{KeySummary, ListData, Pagination};
use crate::AppState;

/// Get a list of DKIM Keys.
///
/// Keys are in ascending id order. Page by number with `page` (from 0), or
/// follow `next_page_token` with `page_token`: a token stays valid while keys
/// are added or removed, and following tokens never skips or repeats a key.
#[utoipa::path(
    get,
    path = "/ga/api/v3/eng/dkim_keys",
    tag = "DKIM Keys",
    params(ListParams),
    responses(
        (status = 200, description = "One page of keys", body = Envelope<ListData>),
        (status = 400, description = "`invalid_request` (bad parameter or token, both `page` and `page_token`) or `requested_too_many` (`per_page` above 2000)", body = ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %tenant.0.name), err(Display, level = "info"))]
pub async fn list_keys(
    tenant: Caller,
    State(state): State<AppState>,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Envelope<ListData>, GreenArrowError> {
    let Caller(tenant, _) = tenant;
    let plan = Plan::try_from(params)?;
    let filter = KeyFilter {
        signing_domain: plan.domain.clone(),
        selector: None,
    };
    // One more than a page tells whether a next page exists.
    let query = KeyQuery {
        filter,
        start: plan.start,
        limit: plan.per_page.saturating_add(1),
    };
    let KeyPage {
        mut keys,
        total: num_records,
    } = state.core.page_keys(&tenant, &query).await?;
    let has_more = keys.len() as u64 > plan.per_page;
    keys.truncate(usize::try_from(plan.per_page).unwrap_or(usize::MAX));
    let next_page_token = match keys.last() {
        Some(last) if has_more => Some(plan.next_token(last.id)),
        _ => None,
    };
    Ok(Envelope::ok(ListData {
        dkim_keys: keys.iter().map(KeySummary::from).collect(),
        pagination: Pagination {
            page: plan.page,
            per_page: plan.per_page,
            num_pages: num_records.div_ceil(plan.per_page),
            num_records,
            next_page_token,
        },
    }))
}
