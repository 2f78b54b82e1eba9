//! A domain's DNS publisher, for admins and owners: Signet writes its keys'
//! TXT records into the tenant's own name server by RFC 2136 updates signed
//! with TSIG. The secret goes in and never comes out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use signet_domain::tsig::{decode_secret, TsigAlgorithm, TsigKey};
use signet_domain::{DomainName, PublisherConfig};

use super::extract::Writer;
use super::ConsoleState;
use crate::error::{Body, Path, Problem};
use crate::wire::publishers::{NewPublisher, PublisherItem};

/// A domain's publisher.
#[utoipa::path(
    get,
    path = "/console/v1/domains/{name}/publisher",
    tag = "Domains",
    params(("name" = String, Path, description = "A sending domain, or the signing domain of keys made without one; its DKIM authority's publisher is meant")),
    responses(
        (status = 200, description = "The publisher, never its secret", body = PublisherItem),
        (status = 404, description = "No such domain, or it has no publisher", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn get_publisher(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
) -> Result<Json<PublisherItem>, Problem> {
    let Writer(member) = member;
    let name = domain(&name)?;
    let publisher = state.core.publisher(&member.tenant, &name).await?;
    Ok(Json(publisher.into()))
}

/// Set a domain's publisher.
///
/// From now on Signet adds the TXT record of every pending, active and
/// retiring key of the domain's authority to the zone, and removes the
/// records it wrote for keys that are deleted or retired, within seconds
/// of each change. It deletes only the exact records it wrote, never an
/// RRset: other TXT records at the same names stay. The status starts
/// `pending`; a refusal, a wrong key or a timeout shows as `failing` with
/// `last_error`, and is retried with backoff.
#[utoipa::path(
    put,
    path = "/console/v1/domains/{name}/publisher",
    tag = "Domains",
    params(("name" = String, Path, description = "A sending domain, or the signing domain of keys made without one")),
    request_body = NewPublisher,
    responses(
        (status = 200, description = "The publisher as set, status `pending`", body = PublisherItem),
        (status = 400, description = "A field is malformed", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such domain", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The zone does not hold the domain's authority", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn set_publisher(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
    Body(new): Body<NewPublisher>,
) -> Result<Json<PublisherItem>, Problem> {
    let Writer(member) = member;
    let name = domain(&name)?;
    let config = config(&new)?;
    let publisher = state
        .core
        .set_publisher(&member.tenant, &member.origin, &name, config)
        .await?;
    Ok(Json(publisher.into()))
}

/// Remove a domain's publisher.
///
/// Signet stops updating the zone; the records it wrote stay there.
#[utoipa::path(
    delete,
    path = "/console/v1/domains/{name}/publisher",
    tag = "Domains",
    params(("name" = String, Path, description = "A sending domain, or the signing domain of keys made without one")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such domain, or it has no publisher", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn delete_publisher(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    let Writer(member) = member;
    let name = domain(&name)?;
    state
        .core
        .delete_publisher(&member.tenant, &member.origin, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A name that cannot be a domain's names none: 404.
fn domain(name: &str) -> Result<DomainName, Problem> {
    DomainName::parse(name).map_err(|_| Problem::new(StatusCode::NOT_FOUND, "domain not found"))
}

/// The settings a body describes; each malformed field is named, never the
/// secret's value.
fn config(new: &NewPublisher) -> Result<PublisherConfig, Problem> {
    let server = new.server.trim().parse().map_err(|_| {
        Problem::bad_request("server must be an IP address and port, such as 192.0.2.53:53")
    })?;
    let zone = DomainName::parse(new.zone.trim().trim_end_matches('.'))
        .map_err(|e| Problem::bad_request(format!("zone {e}")))?;
    let key_name = DomainName::parse(new.tsig_key_name.trim().trim_end_matches('.'))
        .map_err(|e| Problem::bad_request(format!("tsig_key_name {e}")))?;
    let algorithm = TsigAlgorithm::parse(&new.tsig_algorithm)
        .map_err(|e| Problem::bad_request(format!("tsig_algorithm {e}")))?;
    let secret = decode_secret(&new.tsig_secret)
        .map_err(|_| Problem::bad_request("tsig_secret must be non-empty base64"))?;
    let key = TsigKey::new(key_name, algorithm, secret)
        .map_err(|_| Problem::bad_request("tsig_secret must be non-empty base64"))?;
    Ok(PublisherConfig { server, zone, key })
}
