//! A domain's DKIM settings: its authority, its selector, and verifying its
//! records now.

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domains::domain_name;
use crate::error::{MailgunError, Result};
use crate::extract::Caller;
use crate::extract::MailgunPath;
use crate::extract::Params;
use crate::wire::schemas;
use crate::wire::{
    DkimAuthorityForm, DkimSelectorForm, FindDomainByNameResp, GenericResponse,
    ReassignDkimAuthorityResp,
};
use crate::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_dkim_authority))
        .routes(routes!(update_dkim_selector))
        .routes(routes!(verify_domain))
        .routes(routes!(verify_domain_v3))
}

/// Update DKIM authority
///
/// `self=true` makes the domain its own DKIM authority (it gets a key of its
/// own if it had none); `self=false` delegates to the root domain registered
/// by the same tenant (400 if there is none). The parameter may come in the
/// query string or the body.
#[utoipa::path(
    put,
    path = "/v3/domains/{name}/dkim_authority",
    tag = "Domain Keys",
    operation_id = "PUT-v3-domains--name--dkim-authority",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The domain name")),
    request_body(content = DkimAuthorityForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The authority now in force", body = ReassignDkimAuthorityResp),
        (status = 400, description = "Bad parameters, or no root domain to delegate to", body = GenericResponse),
        (status = 404, description = "No such domain", body = GenericResponse,
            example = json!({"message": "Domain not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn update_dkim_authority(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(name): MailgunPath<String>,
    params: Params,
) -> Result<Json<ReassignDkimAuthorityResp>> {
    let name = domain_name(&name)?;
    let form = DkimAuthorityForm::try_from(&params)?;
    let change = state
        .core
        .set_authority(&caller.0, &caller.1, &name, form.own)
        .await
        .map_err(MailgunError::during("failed to change DKIM authority"))?;
    Ok(Json(ReassignDkimAuthorityResp::of(
        &change.view,
        change.changed,
    )))
}

/// Update a DKIM selector
///
/// Renames the selector of the key the domain signs with. Its record moves,
/// so it must be verified again before it signs. A selector another key of
/// the authority already has is refused with 400. `dkim_selector` is required
/// (400 when missing or empty) and may come in the query string or the body.
#[utoipa::path(
    put,
    path = "/v3/domains/{name}/dkim_selector",
    tag = "Domain Keys",
    operation_id = "PUT-v3-domains--name--dkim-selector",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The domain name")),
    request_body(content = DkimSelectorForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Changed", body = GenericResponse,
            example = json!({"message": "DKIM selector changed"})),
        (status = 400, description = "A missing, bad or duplicate selector", body = GenericResponse,
            example = json!({"message": "dkim_selector is required"})),
        (status = 404, description = "No such domain, or it has no signing key", body = GenericResponse,
            example = json!({"message": "Domain not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn update_dkim_selector(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(name): MailgunPath<String>,
    params: Params,
) -> Result<Json<GenericResponse>> {
    let name = domain_name(&name)?;
    let form = DkimSelectorForm::try_from(&params)?;
    state
        .core
        .change_selector(&caller.0, &caller.1, &name, form.dkim_selector)
        .await
        .map_err(MailgunError::during("failed to change DKIM selector"))?;
    Ok(Json(GenericResponse::new("DKIM selector changed")))
}

/// Verify a domain
///
/// Looks up the DKIM records of the domain's keys and of the key it signs
/// with now, stores what DNS said, and returns the domain.
#[utoipa::path(
    put,
    path = "/v4/domains/{name}/verify",
    tag = "Domains",
    operation_id = "PUT-v4-domains--name--verify",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The domain name")),
    responses(
        (status = 200, description = "The domain, as DNS shows it now", body = FindDomainByNameResp),
        (status = 404, description = "No such domain", body = GenericResponse,
            example = json!({"message": "Domain not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn verify_domain(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(name): MailgunPath<String>,
) -> Result<Json<FindDomainByNameResp>> {
    let view = state
        .core
        .verify_domain(&caller.0, &caller.1, &domain_name(&name)?)
        .await?;
    Ok(Json(FindDomainByNameResp::of(
        &caller.0,
        &view,
        Some("Domain DNS records have been updated"),
    )))
}

/// Verify a domain (v3 form)
///
/// The same as `PUT /v4/domains/{name}/verify`.
#[utoipa::path(
    put,
    path = "/v3/domains/{name}/verify",
    tag = "Domains",
    operation_id = "PUT-v3-domains--name--verify",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The domain name")),
    responses(
        (status = 200, description = "The domain, as DNS shows it now", body = FindDomainByNameResp),
        (status = 404, description = "No such domain", body = GenericResponse),
    ),
    security(("basicAuth" = []))
)]
pub async fn verify_domain_v3(
    state: State<AppState>,
    caller: Caller,
    name: MailgunPath<String>,
) -> Result<Json<FindDomainByNameResp>> {
    verify_domain(state, caller, name).await
}
