//! The tenant's API keys for the two dialects: list (never a key), issue
//! (the key shown once), revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::tenant::ApiKeyInfo;
use signet_domain::{ApiKeyId, ApiKeyLabel};
use utoipa::ToSchema;

use super::auth::{Reader, Writer};
use super::ConsoleState;
use crate::error::{Body, Path, Problem};

/// An API key, without the key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyItem {
    /// The key's id.
    id: i64,
    /// Its label; `null` for keys issued without one (by the CLI).
    label: Option<String>,
    /// When it was issued.
    created_at: DateTime<Utc>,
    /// When it last authenticated a request, to the minute; `null` if never.
    last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; `null` while it works.
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyInfo> for ApiKeyItem {
    fn from(info: ApiKeyInfo) -> Self {
        Self {
            id: info.id.0,
            label: info.label.map(|l| l.as_str().to_owned()),
            created_at: info.created_at,
            last_used_at: info.last_used_at,
            revoked_at: info.revoked_at,
        }
    }
}

/// The tenant's API keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Oldest first.
    items: Vec<ApiKeyItem>,
}

/// A key to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// A name for it, 1 to 100 characters.
    label: String,
}

/// A newly issued key: the only time `api_key` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedApiKey {
    /// The key's id.
    id: i64,
    /// Its label.
    label: String,
    /// The key, for the dialects' `Authorization`; Signet keeps only its hash.
    api_key: String,
}

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
