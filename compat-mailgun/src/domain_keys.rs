//! `/v4/domains/{authority_name}/keys`: one authority's keys, and turning a
//! key on or off.

use axum::extract::State;
use axum::Json;
use signet_domain::{DomainName, KeyFilter, Selector};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{MailgunError, Result};
use crate::extract::Caller;
use crate::extract::MailgunPath;
use crate::wire::schemas;
use crate::wire::{AuthorityKeysResponse, DomainKeyResponse, GenericResponse, UpdateDomainKeyResp};
use crate::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_authority_keys))
        .routes(routes!(activate_key))
        .routes(routes!(deactivate_key))
}

fn authority(name: &str) -> Result<DomainName> {
    DomainName::parse(name).map_err(|e| MailgunError::invalid("authority_name", e))
}

fn selector(name: &str) -> Result<Selector> {
    Selector::parse(name).map_err(|e| MailgunError::invalid("selector", e))
}

/// List domain keys
///
/// Lists every key of one signing domain (authority), active or not, valid or
/// not, without paging. A domain with no keys gives an empty list.
#[utoipa::path(
    get,
    path = "/v4/domains/{authority_name}/keys",
    tag = "Domain Keys",
    operation_id = "GET-v4-domains--authority-name--keys",
    params(("authority_name" = inline(schemas::DomainNameText), Path, description = "The domain authority name you want to list the domain keys for. Must be a valid domain")),
    responses(
        (status = 200, description = "The keys", body = AuthorityKeysResponse),
        (status = 400, description = "Not a domain name", body = GenericResponse),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn list_authority_keys(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(authority_name): MailgunPath<String>,
) -> Result<Json<AuthorityKeysResponse>> {
    let filter = KeyFilter {
        signing_domain: Some(authority(&authority_name)?),
        selector: None,
    };
    let keys = state.core.all_keys(&caller.0, filter).await?;
    Ok(Json(AuthorityKeysResponse {
        items: keys.iter().map(DomainKeyResponse::from).collect(),
    }))
}

/// Turns a key on or off and says so as Mailgun does.
async fn set_active(
    state: &AppState,
    caller: &Caller,
    (authority_name, selector_name): (String, String),
    active: bool,
) -> Result<Json<UpdateDomainKeyResp>> {
    let domain = authority(&authority_name)?;
    let selector = selector(&selector_name)?;
    let key = state
        .core
        .set_active(&caller.0, &caller.1, &domain, &selector, active)
        .await?;
    let message = if active {
        "domain key activated"
    } else {
        "domain key deactivated"
    };
    Ok(Json(UpdateDomainKeyResp {
        message: message.into(),
        authority: key.signing_domain.to_string(),
        selector: key.selector.to_string(),
        active: key.active,
    }))
}

/// Activate a domain key
///
/// Lets a key sign mail. Activation before DNS is refused: its record must be
/// published and valid (a result
/// older than a minute is looked up again), and a record that does not carry
/// the key is refused with a 400 naming what was found.
#[utoipa::path(
    put,
    path = "/v4/domains/{authority_name}/keys/{selector}/activate",
    tag = "Domain Keys",
    operation_id = "PUT-v4-domains--authority-name--keys--selector--activate",
    params(
        ("authority_name" = inline(schemas::DomainNameText), Path, description = "The domain authority name you want to activate. Must be a valid domain"),
        ("selector" = inline(schemas::SelectorText), Path, description = "The selector you want to activate for the domain key. Must be a valid dot atom"),
    ),
    responses(
        (status = 200, description = "Activated", body = UpdateDomainKeyResp),
        (status = 400, description = "The DNS record is not valid, or a bad name", body = GenericResponse,
            example = json!({"message": "DNS record s1._domainkey.example.com is not valid: no TXT record found"})),
        (status = 404, description = "No such key", body = GenericResponse,
            example = json!({"message": "domain key not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn activate_key(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(names): MailgunPath<(String, String)>,
) -> Result<Json<UpdateDomainKeyResp>> {
    set_active(&state, &caller, names, true).await
}

/// Deactivate a domain key
///
/// Stops a key from signing mail, even if its record is valid.
#[utoipa::path(
    put,
    path = "/v4/domains/{authority_name}/keys/{selector}/deactivate",
    tag = "Domain Keys",
    operation_id = "PUT-v4-domains--authority-name--keys--selector--deactivate",
    params(
        ("authority_name" = inline(schemas::DomainNameText), Path, description = "The domain authority name you want to deactivate. Must be a valid domain"),
        ("selector" = inline(schemas::SelectorText), Path, description = "The selector you want to deactivate for the domain key. Must be a valid dot atom"),
    ),
    responses(
        (status = 200, description = "Deactivated", body = UpdateDomainKeyResp,
            example = json!({"message": "domain key deactivated", "authority": "example.com", "selector": "s1", "active": false})),
        (status = 400, description = "A bad name", body = GenericResponse),
        (status = 404, description = "No such key", body = GenericResponse,
            example = json!({"message": "domain key not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn deactivate_key(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(names): MailgunPath<(String, String)>,
) -> Result<Json<UpdateDomainKeyResp>> {
    set_active(&state, &caller, names, false).await
}
