//! `/v1/dkim/zone` (Signet extension): a domain's DKIM records as a
//! zone-file fragment, ready to paste into a zone or feed to a DNS tool.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{MailgunError, Result};
use crate::extract::{Caller, Params};
use crate::wire::{GenericResponse, ZoneQuery};
use crate::AppState;

/// The TTL of every line: an hour, so a rotation's new record spreads fast.
const TTL: u32 = 3600;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(zone))
}

/// Zone-file records of a domain (Signet extension)
///
/// Every TXT record the domain's DNS must carry for its keys (pending, active
/// and retiring; not retired), one line each in zone-file syntax:
/// `s1._domainkey.example.com. 3600 IN TXT "k=rsa; p=MIIB..." "..."`. Each
/// value is split into quoted character-strings of at most 255 bytes (`"`
/// and `\` escaped). A known domain without such keys gives an empty body.
#[utoipa::path(
    get,
    path = "/v1/dkim/zone",
    tag = "Domain Keys",
    operation_id = "GET-v1-dkim-zone",
    params(ZoneQuery),
    responses(
        (status = 200, description = "The zone-file lines", body = String, content_type = "text/dns",
            example = "s1._domainkey.example.com. 3600 IN TXT \"k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"),
        (status = 400, description = "Missing or invalid `domain`", body = GenericResponse,
            example = json!({"message": "domain is required"})),
        (status = 404, description = "The tenant has no such domain and no key of it", body = GenericResponse,
            example = json!({"message": "Domain not found"})),
    ),
    security(("basicAuth" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.0.name), err(Display, level = "debug"))]
pub async fn zone(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<impl IntoResponse> {
    let query = ZoneQuery::try_from(&params)?;
    let records = state
        .core
        .zone_records(&caller.0, &query.domain)
        .await
        .map_err(MailgunError::from)?;
    let body: String = records.iter().map(|r| r.zone_line(TTL) + "\n").collect();
    Ok(([(CONTENT_TYPE, "text/dns")], body))
}
