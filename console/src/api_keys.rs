//! The tenant's API keys for the two dialects: list (never a key), issue
//! (the key shown once), revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use signet_domain::{ApiKeyId, ApiKeyLabel};

use super::extract::{Reader, Writer};
use super::ConsoleState;
use crate::error::{Body, Path, Problem};
use crate::wire::api_keys::{ApiKeyItem, ApiKeyList, IssuedApiKey, NewApiKey};

/// List the tenant's API keys.
#[utoipa::path(
    get,
    path = "/console/v1/api-keys",
    tag = "API keys",
    responses((status = 200, description = "The tenant's API keys, never a key itself", body = ApiKeyList))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn list_api_keys(
    member: Reader,
    State(state): State<ConsoleState>,
) -> Result<Json<ApiKeyList>, Problem> {
    let Reader(member) = member;
    let keys = state.admin.list_api_keys(&member.tenant).await?;
    Ok(Json(ApiKeyList {
        items: keys.into_iter().map(ApiKeyItem::from).collect(),
    }))
}

/// Issue an API key.
///
/// The answer holds the key; it is not shown again.
#[utoipa::path(
    post,
    path = "/console/v1/api-keys",
    tag = "API keys",
    request_body = NewApiKey,
    responses((status = 201, description = "The new key, shown this once", body = IssuedApiKey))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn create_api_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Body(new): Body<NewApiKey>,
) -> Result<(StatusCode, Json<IssuedApiKey>), Problem> {
    let Writer(member) = member;
    let label =
        ApiKeyLabel::parse(&new.label).map_err(|e| Problem::bad_request(format!("label {e}")))?;
    let issued = state
        .admin
        .issue_labelled_api_key(&member.tenant, &member.origin, Some(&label))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedApiKey {
            id: issued.id.0,
            label: label.as_str().to_owned(),
            api_key: issued.secret.expose().to_owned(),
        }),
    ))
}

/// Revoke an API key.
///
/// It stops working at once.
#[utoipa::path(
    delete,
    path = "/console/v1/api-keys/{id}",
    tag = "API keys",
    params(("id" = i64, Path, description = "The API key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such live key in this tenant", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name, id), err(Display, level = "info"))]
pub async fn revoke_api_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, Problem> {
    let Writer(member) = member;
    tracing::Span::current().record("id", id);
    state
        .admin
        .revoke_api_key(&member.tenant, &member.origin, ApiKeyId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
