//! `GET /ga/api/v3/eng/dkim_keys`: pages by number (`page`, an offset) or by
//! token (`page_token`, a keyset cursor), optionally for one domain.

use axum::extract::State;
use serde::Deserialize;
use signet_domain::{DomainName, KeyFilter, KeyId, KeyQuery, PageStart};
use utoipa::IntoParams;

use crate::envelope::Envelope;
use crate::error::{ErrorEnvelope, GaError};
use crate::extract::{GaQuery, GaTenant};
use crate::token::PageToken;
use crate::wire::{KeySummary, ListData, Pagination};
use crate::AppState;

/// Records a page when `per_page` is not given.
pub const DEFAULT_PER_PAGE: u64 = 100;
/// The largest `per_page` accepted.
pub const MAX_PER_PAGE: u64 = 2000;

/// Query parameters of the list. Empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The page number to retrieve, from 0. Not with `page_token`.
    #[param(value_type = Option<u64>, minimum = 0)]
    page: Option<String>,
    /// The `next_page_token` of the previous page. Not with `page`.
    page_token: Option<String>,
    /// Records a page, 1 to 2000 (default 100). With `page_token`, it must
    /// match the token's, or be left out.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 2000)]
    per_page: Option<String>,
    /// Only keys of this domain (case-insensitive). With `page_token`, it must
    /// match the token's, or be left out.
    domain: Option<String>,
}

/// One page to fetch.
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    page: u64,
    per_page: u64,
    domain: Option<DomainName>,
    start: PageStart,
}

fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

impl TryFrom<ListParams> for Plan {
    type Error = GaError;

    fn try_from(params: ListParams) -> Result<Self, GaError> {
        let page = given(params.page)
            .map(|p| {
                p.parse::<u64>()
                    .map_err(|_| GaError::invalid_request("page must be an integer of 0 or more"))
            })
            .transpose()?;
        let per_page = given(params.per_page).map(parse_per_page).transpose()?;
        let domain = given(params.domain)
            .map(|d| {
                DomainName::parse(&d).map_err(|e| GaError::invalid_request(format!("domain {e}")))
            })
            .transpose()?;
        match given(params.page_token) {
            Some(_) if page.is_some() => Err(GaError::invalid_request(
                "page and page_token may not be given together",
            )),
            Some(token) => {
                let token = PageToken::decode(&token)?;
                if per_page.is_some_and(|n| n != token.per_page) {
                    return Err(GaError::invalid_request(
                        "per_page must match the page_token's, or be left out",
                    ));
                }
                if domain
                    .as_ref()
                    .is_some_and(|d| Some(d) != token.domain.as_ref())
                {
                    return Err(GaError::invalid_request(
                        "domain must match the page_token's, or be left out",
                    ));
                }
                Ok(Self {
                    page: token.page,
                    per_page: token.per_page,
                    domain: token.domain,
                    start: PageStart::After(token.after),
                })
            }
            None => {
                let page = page.unwrap_or(0);
                let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
                // Databases count rows in i64.
                let offset = page
                    .checked_mul(per_page)
                    .filter(|o| i64::try_from(*o).is_ok())
                    .ok_or_else(|| GaError::invalid_request("page is too large"))?;
                Ok(Self {
                    page,
                    per_page,
                    domain,
                    start: PageStart::Offset(offset),
                })
            }
        }
    }
}

fn parse_per_page(raw: String) -> Result<u64, GaError> {
    match raw.parse::<u64>() {
        Ok(n) if n > MAX_PER_PAGE => Err(GaError::requested_too_many(format!(
            "per_page must be at most {MAX_PER_PAGE}"
        ))),
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(GaError::invalid_request(format!(
            "per_page must be an integer from 1 to {MAX_PER_PAGE}"
        ))),
    }
}

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
        (status = 401, description = "`unauthorized`", body = ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %tenant.0.name), err(Display, level = "info"))]
pub async fn list_keys(
    tenant: GaTenant,
    State(state): State<AppState>,
    GaQuery(params): GaQuery<ListParams>,
) -> Result<Envelope<ListData>, GaError> {
    let GaTenant(tenant) = tenant;
    let plan = Plan::try_from(params)?;
    let filter = KeyFilter {
        signing_domain: plan.domain.clone(),
        selector: None,
    };
    let num_records = state.core.count_keys(&tenant, &filter).await?;
    // One more than a page tells whether a next page exists.
    let query = KeyQuery {
        filter,
        start: plan.start,
        limit: plan.per_page.saturating_add(1),
    };
    let mut keys = state.core.list_keys(&tenant, &query).await?;
    let has_more = keys.len() as u64 > plan.per_page;
    keys.truncate(usize::try_from(plan.per_page).unwrap_or(usize::MAX));
    let next_page_token = match keys.last() {
        Some(last) if has_more => Some(next_token(&plan, last.id)),
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

fn next_token(plan: &Plan, last: KeyId) -> String {
    PageToken {
        after: last,
        page: plan.page.saturating_add(1),
        per_page: plan.per_page,
        domain: plan.domain.clone(),
    }
    .encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            let v = Some((*v).to_owned());
            match *k {
                "page" => p.page = v,
                "page_token" => p.page_token = v,
                "per_page" => p.per_page = v,
                "domain" => p.domain = v,
                _ => unreachable!(),
            }
        }
        p
    }

    #[test]
    fn no_parameters_mean_the_first_hundred() {
        let plan = Plan::try_from(params(&[])).unwrap();
        assert_eq!(plan.start, PageStart::Offset(0));
        assert_eq!((plan.page, plan.per_page), (0, 100));
    }

    #[test]
    fn a_page_number_is_an_offset() {
        let plan = Plan::try_from(params(&[("page", "3"), ("per_page", "25")])).unwrap();
        assert_eq!(plan.start, PageStart::Offset(75));
    }

    #[test]
    fn a_token_carries_its_walk() {
        let token = PageToken {
            after: KeyId(9),
            page: 2,
            per_page: 5,
            domain: Some(DomainName::parse("example.com").unwrap()),
        }
        .encode();
        let plan =
            Plan::try_from(params(&[("page_token", &token), ("domain", "EXAMPLE.com")])).unwrap();
        assert_eq!(plan.start, PageStart::After(KeyId(9)));
        assert_eq!((plan.page, plan.per_page), (2, 5));
        assert!(Plan::try_from(params(&[("page_token", &token), ("per_page", "6")])).is_err());
        assert!(Plan::try_from(params(&[("page_token", &token), ("page", "1")])).is_err());
    }

    #[test]
    fn per_page_is_bounded() {
        assert!(Plan::try_from(params(&[("per_page", "2000")])).is_ok());
        let too_many = Plan::try_from(params(&[("per_page", "2001")])).unwrap_err();
        assert_eq!(too_many.code().as_str(), "requested_too_many");
        for bad in ["0", "-1", "x"] {
            let e = Plan::try_from(params(&[("per_page", bad)])).unwrap_err();
            assert_eq!(e.code().as_str(), "invalid_request");
        }
    }
}
