//! The tenant's policy.

use axum::extract::State;
use axum::Json;
use signet_domain::TenantSettings;

use super::extract::{Owner, Reader};
use super::ConsoleState;
use crate::error::{Body, Problem};
use crate::wire::settings::{Settings, SettingsChange};

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
