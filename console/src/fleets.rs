//! The tenant's fleets, for owners: list (never a token), create (the token
//! shown once), revoke. A fleet's token reads private keys whatever the
//! export policy, so only the role that sets that policy manages fleets.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use signet_domain::{DomainName, FleetDomains, FleetName};

use super::extract::Owner;
use super::ConsoleState;
use crate::error::{Body, Path, Problem};
use crate::wire::fleets::{CreatedFleet, FleetItem, FleetList, NewFleet};

/// List the tenant's fleets.
#[utoipa::path(
    get,
    path = "/console/v1/fleets",
    tag = "Fleets",
    responses((status = 200, description = "The tenant's fleets, never a token", body = FleetList))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn list_fleets(
    member: Owner,
    State(state): State<ConsoleState>,
) -> Result<Json<FleetList>, Problem> {
    let Owner(member) = member;
    let fleets = state.admin.list_fleets(&member.tenant).await?;
    Ok(Json(FleetList {
        items: fleets.into_iter().map(FleetItem::from).collect(),
    }))
}

/// Make a fleet.
///
/// The answer holds its token; it is not shown again.
#[utoipa::path(
    post,
    path = "/console/v1/fleets",
    tag = "Fleets",
    request_body = NewFleet,
    responses(
        (status = 201, description = "The new fleet and its token, shown this once", body = CreatedFleet),
        (status = 409, description = "The tenant has a fleet of that name", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "A domain is not the tenant's: it has no sending domain and no key of that name", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn create_fleet(
    member: Owner,
    State(state): State<ConsoleState>,
    Body(new): Body<NewFleet>,
) -> Result<(StatusCode, Json<CreatedFleet>), Problem> {
    let Owner(member) = member;
    let name =
        FleetName::parse(&new.name).map_err(|e| Problem::bad_request(format!("name {e}")))?;
    let domains = new
        .domains
        .iter()
        .map(|d| {
            DomainName::parse(d)
                .map_err(|e| Problem::bad_request(format!("domains has {d:?}, which {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let domains =
        FleetDomains::new(domains).map_err(|e| Problem::bad_request(format!("domains {e}")))?;
    let (fleet, token) = state
        .admin
        .create_fleet(&member.tenant, &member.origin, &name, &domains)
        .await?;
    let item = FleetItem::from(fleet);
    Ok((
        StatusCode::CREATED,
        Json(CreatedFleet {
            name: item.name,
            domains: item.domains,
            token: token.expose().to_owned(),
        }),
    ))
}

/// Revoke a fleet.
///
/// Its token stops working at once, on every node; the fleet is gone and
/// its name free again.
#[utoipa::path(
    delete,
    path = "/console/v1/fleets/{name}",
    tag = "Fleets",
    params(("name" = String, Path, description = "The fleet's name")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such fleet in this tenant", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn revoke_fleet(
    member: Owner,
    State(state): State<ConsoleState>,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    let Owner(member) = member;
    // A name that cannot be a fleet's names none: the same 404.
    let name = FleetName::parse(&name)
        .map_err(|_| Problem::new(StatusCode::NOT_FOUND, "fleet not found"))?;
    state
        .admin
        .revoke_fleet(&member.tenant, &member.origin, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
