//! The feed's OpenAPI document, `/openapi/fleet.json`.

use signet_http_kit::openapi::{self, problems, Failures};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;

use crate::error::ProblemDetails;

/// The document the route is added to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Signet: fleet key feed",
        description = r#"What a tenant's signers (OpenDKIM, rspamd, Exim, Haraka) read: the DKIM keys of a fleet's domains, private keys included, under `/fleet/v1/`. `signet fleet sync` is its client.

**Authentication**: `Authorization: Bearer sgf_...`, a fleet token from `signet fleet create NAME --tenant T --domains a.example,b.example` (or the console's `POST /console/v1/fleets`). A fleet token reads its fleet's domains and nothing else; it is not accepted by the dialects or the console, and their credentials are not accepted here. A revoked token is refused at once.

**Private keys** leave Signet here whatever the tenant's `private_key_export`: fleets are the deliberate way out. Every read of a changed feed is recorded in the tenant's audit trail (`fleet.read`).

**Polling**: the answer carries a strong `ETag`; send it back in `If-None-Match` and an unchanged feed is `304 Not Modified`, served from memory. Any change to the tenant's keys is seen on the next poll.

**Errors** are `application/problem+json` (RFC 9457)."#
    ),
    components(schemas(ProblemDetails)),
    tags((name = "Feed", description = "The fleet's keys")),
    security(("fleetToken" = []))
)]
pub struct ApiDoc;

/// The failures every call can give, as `(status, component, description)`.
const FAILURES: [(&str, &str, &str); 3] = [
    (
        "401",
        "Unauthorized",
        "No live fleet token (with `WWW-Authenticate: Bearer`)",
    ),
    (
        "500",
        "InternalError",
        "Signet failed; details are logged, never shown",
    ),
    (
        "503",
        "Unavailable",
        "The database is away; try again later",
    ),
];

/// Declares the bearer token and the problem responses.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "fleetToken",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("sgf_ fleet token")
                .description(Some("A fleet token from `signet fleet create`."))
                .build(),
        ),
    );
    openapi::complete(
        doc,
        &[Failures {
            failures: problems(&FAILURES),
            on: openapi::every,
        }],
        openapi::Placement::Inline,
    );
}
