//! `/v1/dkim/keys`: list, create and delete the tenant's DKIM keys.

use axum::extract::State;
use axum::Json;
use signet_domain::{
    CreateKey, DefaultFlag, DeleteRule, KeyFilter, KeyMaterial, KeyPage, KeyQuery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{MailgunError, Result};
use crate::extract::Caller;
use crate::extract::Params;
use crate::paging::{Cursor, Origin};
use crate::wire::{
    CreateKeyForm, DeleteKeyQuery, DomainKeyListResponse, DomainKeyResponse, GenericResponse,
    ListKeysQuery,
};
use crate::AppState;

/// The path of this resource.
const PATH: &str = "/v1/dkim/keys";

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_keys, create_key, delete_key))
}

/// List keys for all domains
///
/// Lists the tenant's DKIM keys in creation order, optionally filtered by
/// signing domain or selector. Parameters may come in the query string or in
/// the body. Follow the absolute URLs in `paging` to move between pages; `next`
/// after the last page leads to a page with no items. `page` is a token this
/// server made: a foreign one is refused with 400.
#[utoipa::path(
    get,
    path = "/v1/dkim/keys",
    tag = "Domain Keys",
    operation_id = "GET-v1-dkim-keys",
    params(ListKeysQuery),
    responses(
        (status = 200, description = "A page of keys", body = DomainKeyListResponse),
        (status = 400, description = "Bad parameters", body = GenericResponse),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    origin: Origin,
    params: Params,
) -> Result<Json<DomainKeyListResponse>> {
    let query = ListKeysQuery::try_from(&params)?;
    let filter = KeyFilter {
        signing_domain: query.signing_domain.clone(),
        selector: query.selector.clone(),
    };
    let cursor = query.page.unwrap_or(Cursor::First);
    let page = KeyQuery {
        filter,
        start: cursor.start(),
        limit: query.limit,
    };
    let KeyPage {
        keys,
        total: total_count,
    } = state.core.page_keys(&caller.0, &page).await?;

    let limit = query.limit.to_string();
    let domain = query.signing_domain.as_ref().map(ToString::to_string);
    let selector = query.selector.as_ref().map(ToString::to_string);
    let mut repeated = vec![("limit", limit.as_str())];
    if let Some(domain) = &domain {
        repeated.push(("signing_domain", domain));
    }
    if let Some(selector) = &selector {
        repeated.push(("selector", selector));
    }
    let ids: Vec<_> = keys.iter().map(|k| k.id).collect();
    Ok(Json(DomainKeyListResponse {
        items: keys.iter().map(DomainKeyResponse::from).collect(),
        paging: origin.paging(PATH, cursor, &ids, &repeated),
        total_count,
    }))
}

/// Create a domain key
///
/// Creates an inactive DKIM key: generated (`bits`, 2048 when omitted; or
/// Ed25519 with Signet's `algorithm=ed25519`) or imported from `pem`, a field
/// or a file part. Private keys are never
/// exported. The first key of a signing domain becomes the one it signs with.
/// Refused with 400: `bits` with `algorithm=ed25519`, a `pem` that is not an
/// RSA key of 1024 or 2048 bits nor an Ed25519 key, an `algorithm` other than
/// the imported key's, and a signing domain and selector that already have a
/// key.
#[utoipa::path(
    post,
    path = "/v1/dkim/keys",
    tag = "Domain Keys",
    operation_id = "POST-v1-dkim-keys",
    request_body(content = CreateKeyForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The new key", body = DomainKeyResponse),
        (status = 400, description = "Bad parameters, unreadable PEM, or a duplicate key", body = GenericResponse,
            example = json!({"message": "failed to create domain key: duplicate key"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<DomainKeyResponse>> {
    let form = CreateKeyForm::try_from(&params)?;
    let material = match form.pem {
        Some(key) => KeyMaterial::Import(key),
        None => KeyMaterial::Generate(form.spec()),
    };
    let request = CreateKey {
        signing_domain: form.signing_domain,
        selector: form.selector,
        material,
        active: false,
        default_for_domain: DefaultFlag::IfFirst,
    };
    let key = state
        .core
        .create_key(&caller.0, &caller.1, request)
        .await
        .map_err(MailgunError::during("failed to create domain key"))?;
    Ok(Json(DomainKeyResponse::from(&key)))
}

/// Delete a domain key
///
/// Deletes a key for good. The last active key of a signing domain cannot be
/// deleted. Parameters may come in the query string or in the body.
#[utoipa::path(
    delete,
    path = "/v1/dkim/keys",
    tag = "Domain Keys",
    operation_id = "DELETE-v1-dkim-keys",
    params(DeleteKeyQuery),
    responses(
        (status = 200, description = "Deleted", body = GenericResponse, example = json!({"message": "success"})),
        (status = 400, description = "The last active key, or bad parameters", body = GenericResponse,
            example = json!({"message": "cannot delete domain key: must have at least one active domain key"})),
        (status = 404, description = "No such key", body = GenericResponse,
            example = json!({"message": "domain key not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn delete_key(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<GenericResponse>> {
    let query = DeleteKeyQuery::try_from(&params)?;
    state
        .core
        .delete_key_named(
            &caller.0,
            &caller.1,
            &query.signing_domain,
            &query.selector,
            DeleteRule::KeepOneActive,
        )
        .await
        .map_err(MailgunError::during("cannot delete domain key"))?;
    Ok(Json(GenericResponse::new("success")))
}
