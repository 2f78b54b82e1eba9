//! Tenants, for platform operators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use signet_domain::TenantName;

use super::extract::Operator;
use super::ConsoleState;
use crate::error::{Body, Problem};
use crate::wire::tenants::{CreatedTenant, NewTenant, TenantItem, TenantList};

/// List tenants (operators only).
#[utoipa::path(
    get,
    path = "/console/v1/tenants",
    tag = "Tenants",
    responses((status = 200, description = "Every tenant", body = TenantList))
)]
#[tracing::instrument(skip_all, err(Display, level = "info"))]
pub async fn list_tenants(
    _operator: Operator,
    State(state): State<ConsoleState>,
) -> Result<Json<TenantList>, Problem> {
    let tenants = state.admin.list_tenants().await?;
    Ok(Json(TenantList {
        items: tenants.iter().map(TenantItem::from).collect(),
    }))
}

/// Create a tenant (operators only).
///
/// The answer holds its first API key; it is not shown again.
#[utoipa::path(
    post,
    path = "/console/v1/tenants",
    tag = "Tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "The tenant and its first API key", body = CreatedTenant),
        (status = 409, description = "The name is taken", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, err(Display, level = "info"))]
pub async fn create_tenant(
    Operator(origin): Operator,
    State(state): State<ConsoleState>,
    Body(new): Body<NewTenant>,
) -> Result<(StatusCode, Json<CreatedTenant>), Problem> {
    let name =
        TenantName::parse(&new.name).map_err(|e| Problem::bad_request(format!("name {e}")))?;
    let (tenant, key) = state.admin.create_tenant(&origin, &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTenant {
            tenant: TenantItem::from(&tenant),
            api_key_id: key.id.0,
            api_key: key.secret.expose().to_owned(),
        }),
    ))
}
