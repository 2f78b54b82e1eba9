//! The tenant's DKIM keys, however they were made: list, create or import,
//! delete, verify DNS now.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use signet_domain::{
    cursor, CreateKey, DefaultFlag, DeleteRule, DomainName, KeyFilter, KeyId, KeyQuery, PageStart,
    Selector,
};

use super::extract::{Reader, Writer};
use super::ConsoleState;
use crate::error::{Body, Path, Problem, Query};
use crate::wire::keys::{After, KeyItem, KeyPage, ListKeys, NewKey, DEFAULT_LIMIT, MAX_LIMIT};

/// A page's size from `limit`.
pub fn page_limit(limit: Option<u64>) -> Result<u64, Problem> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(Problem::bad_request("limit must be from 1 to 1000")),
    }
}

fn parse_domain(s: &str) -> Result<DomainName, Problem> {
    DomainName::parse(s).map_err(|e| Problem::bad_request(format!("domain {e}")))
}

/// List the tenant's keys.
///
/// Every key, whichever dialect or console made it, in ascending id order.
#[utoipa::path(
    get,
    path = "/console/v1/keys",
    tag = "Keys",
    params(ListKeys),
    responses((status = 200, description = "A page of keys", body = KeyPage))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn list_keys(
    member: Reader,
    State(state): State<ConsoleState>,
    Query(query): Query<ListKeys>,
) -> Result<Json<KeyPage>, Problem> {
    let Reader(member) = member;
    let limit = page_limit(query.limit)?;
    let start = match super::nonempty(query.cursor.as_deref()) {
        None => PageStart::First,
        Some(token) => {
            let After { after } = cursor::decode(token).ok_or_else(|| {
                Problem::bad_request("cursor must be a next_cursor of a previous page")
            })?;
            PageStart::After(KeyId(after))
        }
    };
    let filter = KeyFilter {
        signing_domain: super::nonempty(query.domain.as_deref())
            .map(parse_domain)
            .transpose()?,
        selector: None,
    };
    let keys = state
        .core
        .list_keys(
            &member.tenant,
            &KeyQuery {
                filter,
                start,
                limit: limit + 1,
            },
        )
        .await?;
    let more = keys.len() as u64 > limit;
    let items: Vec<KeyItem> = keys
        .iter()
        .take(limit as usize)
        .map(KeyItem::from)
        .collect();
    let next_cursor = more
        .then(|| items.last().map(|k| cursor::encode(&After { after: k.id })))
        .flatten();
    Ok(Json(KeyPage { items, next_cursor }))
}

/// Create or import a key.
///
/// Give exactly one of `bits` and `private_key` (`bits` may be left out with
/// `algorithm: ed25519`). The key is active at once and becomes its domain's
/// default if it is the domain's first.
#[utoipa::path(
    post,
    path = "/console/v1/keys",
    tag = "Keys",
    request_body = NewKey,
    responses(
        (status = 201, description = "The new key", body = KeyItem),
        (status = 409, description = "The domain has a key with this selector", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The key is below the tenant's minimum size", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn create_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Body(new): Body<NewKey>,
) -> Result<(StatusCode, Json<KeyItem>), Problem> {
    let Writer(member) = member;
    let signing_domain = parse_domain(&new.domain)?;
    let selector = Selector::parse(&new.selector)
        .map_err(|e| Problem::bad_request(format!("selector {e}")))?;
    let material = new.material()?;
    let command = CreateKey {
        signing_domain,
        selector,
        material,
        active: true,
        default_for_domain: DefaultFlag::IfFirst,
    };
    let key = state
        .core
        .create_key(&member.tenant, &member.origin, command)
        .await?;
    Ok((StatusCode::CREATED, Json(KeyItem::from(&key))))
}

/// Delete a key.
#[utoipa::path(
    delete,
    path = "/console/v1/keys/{id}",
    tag = "Keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such key in this tenant", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name, id), err(Display, level = "info"))]
pub async fn delete_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, Problem> {
    let Writer(member) = member;
    tracing::Span::current().record("id", id);
    state
        .core
        .delete_key(&member.tenant, &member.origin, KeyId(id), DeleteRule::Any)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check a key's DNS record now.
///
/// Looks the record up at once (past any cache) and stores the result.
#[utoipa::path(
    post,
    path = "/console/v1/keys/{id}/verify",
    tag = "Keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key with its new DNS state", body = KeyItem),
        (status = 404, description = "No such key in this tenant", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name, id), err(Display, level = "info"))]
pub async fn verify_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(id): Path<i64>,
) -> Result<Json<KeyItem>, Problem> {
    let Writer(member) = member;
    tracing::Span::current().record("id", id);
    let key = state
        .core
        .verify_key(&member.tenant, &member.origin, KeyId(id))
        .await?;
    Ok(Json(KeyItem::from(&key)))
}
