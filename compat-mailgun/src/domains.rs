//! Sending domains: register, list, view and delete. Mailgun serves these
//! under `/v4` (delete under `/v3`); the `/v3` forms its Python SDK still
//! calls are served too.

use axum::extract::State;
use axum::Json;
use signet_domain::{DomainName, DomainOrder, DomainQuery, KeySize, RegisterDomain};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{MailgunError, Result};
use crate::extract::Caller;
use crate::extract::MailgunPath;
use crate::extract::Params;
use crate::wire::schemas;
use crate::wire::{
    CreateDomainForm, CreateDomainResp, Domain, FindDomainByNameResp, GenericResponse,
    ListDomainResponse, ListDomainsQuery,
};
use crate::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_domains, create_domain))
        .routes(routes!(list_domains_v3, create_domain_v3))
        .routes(routes!(get_domain))
        .routes(routes!(get_domain_v3, delete_domain))
}

/// A domain name from a path; a name that cannot exist is not found.
pub fn domain_name(name: &str) -> Result<DomainName> {
    DomainName::parse(name).map_err(|_| MailgunError::domain_not_found())
}

/// Get domains
///
/// Lists the tenant's domains, newest first unless sorted by name, filtered by
/// state, authority or part of the name, `skip` and `limit` (100 by default,
/// at most 1000) choosing the page.
#[utoipa::path(
    get,
    path = "/v4/domains",
    tag = "Domains",
    operation_id = "GET-v4-domains",
    params(ListDomainsQuery),
    responses(
        (status = 200, description = "A page of domains", body = ListDomainResponse),
        (status = 400, description = "Bad parameters", body = GenericResponse),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn list_domains(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<ListDomainResponse>> {
    let query = ListDomainsQuery::try_from(&params)?;
    let verified = match query.state.as_deref() {
        None => None,
        Some("active") => Some(true),
        Some("unverified") => Some(false),
        // `disabled`: Signet never disables a domain.
        Some(_) => {
            return Ok(Json(ListDomainResponse {
                total_count: 0,
                items: Vec::new(),
            }))
        }
    };
    let order = match query.sort.as_deref() {
        None => DomainOrder::NewestFirst,
        Some("name:desc") => DomainOrder::NameDescending,
        Some(_) => DomainOrder::NameAscending,
    };
    let found = DomainQuery {
        authority: query.authority,
        name_contains: query.search,
        verified,
        order,
        skip: query.skip,
        limit: query.limit,
    };
    let page = state.core.find_domains(&caller.0, &found).await?;
    let total_count = page.total;
    let items = page
        .views
        .iter()
        .map(|v| Domain::of(&caller.0, v))
        .collect();
    Ok(Json(ListDomainResponse { total_count, items }))
}

/// Get domains (v3 form)
///
/// The same as `GET /v4/domains`.
#[utoipa::path(
    get,
    path = "/v3/domains",
    tag = "Domains",
    operation_id = "GET-v3-domains",
    params(ListDomainsQuery),
    responses(
        (status = 200, description = "A page of domains", body = ListDomainResponse),
        (status = 400, description = "Bad parameters", body = GenericResponse),
    ),
    security(("basicAuth" = []))
)]
pub async fn list_domains_v3(
    state: State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<ListDomainResponse>> {
    list_domains(state, caller, params).await
}

/// Create a domain
///
/// Registers a sending domain. Unless `force_dkim_authority` is true, a root
/// domain the tenant registered becomes its DKIM authority; otherwise it gets
/// a DKIM key of its own (`dkim_selector`, `mx` by default; `dkim_key_size`,
/// 2048 by default), inactive until its record is published and verified.
/// A domain the tenant already registered is refused with 400 ("Domain
/// already exists").
///
/// With `use_automatic_sender_security=true` the domain is its own DKIM
/// authority, its first key's selector is `pdk1`, and `sending_dns_records`
/// lists one `CNAME` per selector of the pair (`pdk1`, `pdk2`) into the DNS
/// zone Signet answers for: published once, they carry every later
/// rotation. Refused with 400 when Signet serves no DNS zone, or with
/// `dkim_selector`.
#[utoipa::path(
    post,
    path = "/v4/domains",
    tag = "Domains",
    operation_id = "POST-v4-domains",
    request_body(content = CreateDomainForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The new domain and the record to publish", body = CreateDomainResp),
        (status = 400, description = "Bad parameters, or the domain exists", body = GenericResponse,
            example = json!({"message": "Domain already exists"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn create_domain(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<CreateDomainResp>> {
    let form = CreateDomainForm::try_from(&params)?;
    let request = RegisterDomain {
        name: form.name,
        selector: form.dkim_selector,
        key_size: form.dkim_key_size.unwrap_or(KeySize::DEFAULT),
        force_own_authority: form.force_dkim_authority,
        delegated: form.use_automatic_sender_security,
    };
    let view = state
        .core
        .register_domain(&caller.0, &caller.1, request)
        .await
        .map_err(MailgunError::during("failed to create domain key"))?;
    Ok(Json(CreateDomainResp::of(&caller.0, &view)))
}

/// Create a domain (v3 form)
///
/// The same as `POST /v4/domains`, including its 400 for a domain the
/// tenant already registered.
#[utoipa::path(
    post,
    path = "/v3/domains",
    tag = "Domains",
    operation_id = "POST-v3-domains",
    request_body(content = CreateDomainForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The new domain and the record to publish", body = CreateDomainResp),
        (status = 400, description = "Bad parameters, or the domain exists", body = GenericResponse),
    ),
    security(("basicAuth" = []))
)]
pub async fn create_domain_v3(
    state: State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<CreateDomainResp>> {
    create_domain(state, caller, params).await
}

/// Get domain details
///
/// A domain, with the DKIM TXT record of the key it signs with in
/// `sending_dns_records`.
#[utoipa::path(
    get,
    path = "/v4/domains/{name}",
    tag = "Domains",
    operation_id = "GET-v4-domains--name-",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The name of the domain you want to fetch")),
    responses(
        (status = 200, description = "The domain", body = FindDomainByNameResp),
        (status = 404, description = "No such domain", body = GenericResponse,
            example = json!({"message": "Domain not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn get_domain(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(name): MailgunPath<String>,
) -> Result<Json<FindDomainByNameResp>> {
    let view = state
        .core
        .get_domain(&caller.0, &domain_name(&name)?)
        .await?;
    Ok(Json(FindDomainByNameResp::of(&caller.0, &view, None)))
}

/// Get domain details (v3 form)
///
/// The same as `GET /v4/domains/{name}`.
#[utoipa::path(
    get,
    path = "/v3/domains/{name}",
    tag = "Domains",
    operation_id = "GET-v3-domains--name-",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The name of the domain you want to fetch")),
    responses(
        (status = 200, description = "The domain", body = FindDomainByNameResp),
        (status = 404, description = "No such domain", body = GenericResponse),
    ),
    security(("basicAuth" = []))
)]
pub async fn get_domain_v3(
    state: State<AppState>,
    caller: Caller,
    name: MailgunPath<String>,
) -> Result<Json<FindDomainByNameResp>> {
    get_domain(state, caller, name).await
}

/// Delete a domain
///
/// Removes a domain and the DKIM keys it is the authority of; domains that
/// delegated to it become their own authority again.
#[utoipa::path(
    delete,
    path = "/v3/domains/{name}",
    tag = "Domains",
    operation_id = "DELETE-v3-domains--name-",
    params(("name" = inline(schemas::DomainNameText), Path, description = "The domain name")),
    responses(
        (status = 200, description = "Deleted", body = GenericResponse,
            example = json!({"message": "Domain has been deleted"})),
        (status = 404, description = "No such domain", body = GenericResponse,
            example = json!({"message": "Domain not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn delete_domain(
    State(state): State<AppState>,
    caller: Caller,
    MailgunPath(name): MailgunPath<String>,
) -> Result<Json<GenericResponse>> {
    state
        .core
        .delete_domain(&caller.0, &caller.1, &domain_name(&name)?)
        .await?;
    Ok(Json(GenericResponse::new("Domain has been deleted")))
}
