//! Tenants, for platform operators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use signet_domain::{Tenant, TenantName};
use utoipa::ToSchema;

use super::auth::Operator;
use super::ConsoleState;
use crate::error::{Body, Problem};

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantItem {
    /// Its unique name.
    name: String,
    /// May its private keys leave Signet?
    private_key_export: bool,
    /// Smallest RSA key it may generate or import.
    min_rsa_bits: u32,
}

impl From<&Tenant> for TenantItem {
    fn from(tenant: &Tenant) -> Self {
        Self {
            name: tenant.name.to_string(),
            private_key_export: tenant.settings.private_key_export,
            min_rsa_bits: tenant.settings.min_rsa_bits.bits(),
        }
    }
}

/// Every tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    /// By name.
    items: Vec<TenantItem>,
}

/// A tenant to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1 to 64 lower-case letters, digits, `-` and `_`.
    name: String,
}

/// A new tenant and its first API key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    /// The tenant.
    tenant: TenantItem,
    /// The first API key's id.
    api_key_id: i64,
    /// The first API key; Signet keeps only its hash.
    api_key: String,
}

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
