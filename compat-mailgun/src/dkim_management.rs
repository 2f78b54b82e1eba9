//! `/v1/dkim_management/domains/{name}/...`: key rotation with overlap, as
//! Mailgun's DKIM-management endpoints have it (`{"Reason"}` for 400,
//! `{"Description"}` for 404), plus Signet's view of a rotation.

use axum::extract::State;
use axum::Json;
use signet_domain::DomainName;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{MailgunError, ManagementError};
use crate::extract::{Caller, MailgunPath, Params};
use crate::wire::schemas;
use crate::wire::{
    GenericResponse, ManagementNotFound, ManagementReason, RotationDomain, RotationDomainResponse,
    RotationForm,
};
use crate::AppState;

type Result<T> = std::result::Result<T, ManagementError>;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rotation, update_rotation))
        .routes(routes!(rotate))
}

/// A path's domain; one that cannot be a domain is not found.
fn domain_name(path: std::result::Result<MailgunPath<String>, MailgunError>) -> Result<DomainName> {
    let MailgunPath(name) = path?;
    DomainName::parse(&name).map_err(|_| MailgunError::domain_not_found().into())
}

/// Update Automatic Sender Security DKIM key rotation for a domain
///
/// Turns automatic rotation on or off for the domain's DKIM authority (the
/// domain itself, the parent it delegates to, or a signing domain that only
/// has keys). For a domain with Automatic Sender Security, `records` are
/// its CNAMEs into Signet's zone, the same before and after every rotation. With rotation on, a pending key is made once the active key
/// is `rotation_interval` old; it signs once DNS shows its record, and the
/// key it replaces retires. Mailgun's minimum interval is 5 days; Signet's
/// is its own `SIGNET_ROTATION_MIN_INTERVAL` (1h by default). Refused with
/// 400: `rotation_interval` without enabling rotation, an interval below the
/// minimum or beyond ten years.
#[utoipa::path(
    put,
    path = "/v1/dkim_management/domains/{name}/rotation",
    tag = "DKIM Security",
    operation_id = "PUT-v1-dkim-management-domains--name--rotation",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The Domain name")),
    request_body(content = RotationForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The domain's rotation now", body = RotationDomainResponse),
        (status = 400, description = "Bad parameters, an interval below the minimum, or an interval without enabling rotation", body = ManagementReason),
        (status = 404, description = "No such domain", body = ManagementNotFound),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn update_rotation(
    State(state): State<AppState>,
    caller: Caller,
    path: std::result::Result<MailgunPath<String>, MailgunError>,
    params: std::result::Result<Params, MailgunError>,
) -> Result<Json<RotationDomainResponse>> {
    let name = domain_name(path)?;
    let form = RotationForm::try_from(&params?)?;
    let view = state
        .core
        .set_rotation(&caller.0, &caller.1, &name, form.into())
        .await?;
    Ok(Json(RotationDomainResponse {
        domain: RotationDomain::of(&caller.0, &name, &view),
    }))
}

/// Get a domain's DKIM key rotation (Signet extension)
///
/// The same domain object as the update returns: the settings, the records
/// to publish (pending, active and retiring keys'), and every key of the
/// authority with its stage and the times it changed.
#[utoipa::path(
    get,
    path = "/v1/dkim_management/domains/{name}/rotation",
    tag = "DKIM Security",
    operation_id = "GET-v1-dkim-management-domains--name--rotation",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The Domain name")),
    responses(
        (status = 200, description = "The domain's rotation", body = RotationDomainResponse),
        (status = 400, description = "Bad parameters", body = ManagementReason),
        (status = 404, description = "No such domain", body = ManagementNotFound),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn get_rotation(
    State(state): State<AppState>,
    caller: Caller,
    path: std::result::Result<MailgunPath<String>, MailgunError>,
) -> Result<Json<RotationDomainResponse>> {
    let name = domain_name(path)?;
    let view = state.core.rotation(&caller.0, &name).await?;
    Ok(Json(RotationDomainResponse {
        domain: RotationDomain::of(&caller.0, &name, &view),
    }))
}

/// Rotate Automatic Sender Security DKIM key for a domain
///
/// Starts a rotation now, even when automatic rotation is off: a pending
/// key per algorithm of the authority's set, under a fresh dated selector.
/// Publish its record; it signs once DNS shows it. Refused (400) while a
/// pending key waits.
///
/// For a domain with Automatic Sender Security the pending key takes the
/// idle selector of its pair (`pdk2` while `pdk1` signs) and Signet's zone
/// serves it at once, so it signs as soon as the resolver sees it through
/// the tenant's CNAME, with nothing to publish. A retired key still at that
/// selector is deleted; a retiring one (still served) refuses the rotation
/// with 400 until it retires, and automatic rotation waits for it the same
/// way, so rotations come every `max(rotation_interval, retire_after)`.
#[utoipa::path(
    post,
    path = "/v1/dkim_management/domains/{name}/rotate",
    tag = "DKIM Security",
    operation_id = "POST-v1-dkim-management-domains--name--rotate",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The Domain name")),
    responses(
        (status = 200, description = "Rotating", body = GenericResponse,
            example = json!({"message": "ok"})),
        (status = 400, description = "A pending key is already waiting, or a retiring key holds the idle selector", body = ManagementReason,
            example = json!({"Reason": "a pending key is already waiting: publish the DNS record s20261129._domainkey.example.com and verify it"})),
        (status = 404, description = "No such domain", body = ManagementNotFound),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    path: std::result::Result<MailgunPath<String>, MailgunError>,
) -> Result<Json<GenericResponse>> {
    let name = domain_name(path)?;
    state.core.rotate(&caller.0, &caller.1, &name).await?;
    Ok(Json(GenericResponse::new("ok")))
}
