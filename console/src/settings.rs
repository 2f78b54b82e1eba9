//! The tenant's policy.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use signet_domain::{Tenant, TenantSettings};
use utoipa::ToSchema;

use super::auth::{Owner, Reader};
use super::ConsoleState;
use crate::error::{Body, Problem};

/// The tenant's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    /// May private keys leave Signet (GreenArrow's `key.private`)?
    private_key_export: bool,
    /// Smallest RSA key the tenant may generate or import.
    min_rsa_bits: u32,
}

impl From<&Tenant> for Settings {
    fn from(tenant: &Tenant) -> Self {
        Self {
            private_key_export: tenant.settings.private_key_export,
            min_rsa_bits: tenant.settings.min_rsa_bits.bits(),
        }
    }
}

/// A change of settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// Let private keys leave Signet, or not.
    private_key_export: Option<bool>,
}

/// The tenant's settings.
#[utoipa::path(
    get,
    path = "/console/v1/settings",
    tag = "Settings",
    responses((status = 200, description = "The tenant's policy", body = Settings))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn get_settings(member: Reader) -> Result<Json<Settings>, Problem> {
    let Reader(member) = member;
    Ok(Json(Settings::from(&member.tenant)))
}

/// Change the tenant's settings (owner only).
#[utoipa::path(
    patch,
    path = "/console/v1/settings",
    tag = "Settings",
    request_body = SettingsChange,
    responses((status = 200, description = "The settings after the change", body = Settings))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn update_settings(
    member: Owner,
    State(state): State<ConsoleState>,
    Body(change): Body<SettingsChange>,
) -> Result<Json<Settings>, Problem> {
    let Owner(member) = member;
    let current = member.tenant.settings;
    let settings = TenantSettings {
        private_key_export: change
            .private_key_export
            .unwrap_or(current.private_key_export),
        ..current
    };
    let tenant = state
        .admin
        .update_tenant_settings(&member.tenant, &member.origin, settings)
        .await?;
    Ok(Json(Settings::from(&tenant)))
}
