//! The console's OpenAPI document: description, bearer security, and the
//! problem responses every operation can give, declared once.

use signet_http_kit::openapi::{self, problems, Failures};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ProblemDetails;

/// The document the routes are added to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Signet: console API",
        description = r#"The API a web console's backend calls for people signed in to an identity provider, under `/console/v1/`.

**Authentication**: `Authorization: Bearer <JWT>` only (a dialect API key is refused with 401). Tokens come from the identity provider configured with `SIGNET_CONSOLE_JWKS_URL`, `SIGNET_CONSOLE_JWT_ISSUER` and `SIGNET_CONSOLE_JWT_AUDIENCE` (RS256, ES256 or EdDSA, the algorithm fixed by the key), or from Signet's own issuer (`signet console token --tenant NAME --role ROLE`; its keys at `/console/v1/.well-known/jwks.json`). A token needs `exp`, `nbf`, `iss`, `aud` and `sub`, a `role` (`viewer`, `admin` or `owner`) and a `tenant`; `role: "operator"` without a tenant is a platform operator.

**Roles**: viewers read; admins also create, delete and verify keys, issue and revoke API keys, and set domains' DNS publishers; owners also change settings and manage fleets (whose tokens read private keys). Operators list and create tenants and nothing else. A role too low for an operation is 403.

**Tenancy**: every operation acts on the token's tenant; another tenant's id is 404.

**Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status` and `detail`."#
    ),
    components(schemas(ProblemDetails)),
    tags(
        (name = "Session", description = "The caller, and the built-in issuer's keys"),
        (name = "Keys", description = "DKIM keys of the tenant, however they were made"),
        (name = "Domains", description = "Sending domains of the tenant"),
        (name = "API keys", description = "The tenant's keys for the Mailgun and GreenArrow dialects"),
        (name = "Fleets", description = "The tenant's signers and their tokens for the key feed (`/fleet/v1/keys`); owners only"),
        (name = "Settings", description = "The tenant's policy"),
        (name = "Audit", description = "Every change to the tenant, whoever made it"),
        (name = "Tenants", description = "Platform operators only"),
    ),
    modifiers(&Security),
    security(("bearerAuth" = []))
)]
pub struct ApiDoc;

/// Declares the bearer token.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A console token from the identity provider or from `signet console token`."))
                    .build(),
            ),
        );
    }
}

/// Failures of every authenticated operation, as `(status, component, description)`.
const AUTHENTICATED: [(&str, &str, &str); 4] = [
    (
        "401",
        "Unauthorized",
        "No valid console token (with `WWW-Authenticate: Bearer`)",
    ),
    ("403", "Forbidden", "The token's role does not allow this"),
    (
        "500",
        "InternalError",
        "Signet failed; details are logged, never shown",
    ),
    (
        "503",
        "Unavailable",
        "A backing service is away, or key generation is saturated",
    ),
];

/// Failures of operations with parameters or a body.
const WITH_INPUT: [(&str, &str, &str); 3] = [
    (
        "400",
        "BadRequest",
        "Malformed JSON or query, or an invalid field",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than Signet accepts",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not sent as `application/json`",
    ),
];

/// Refers every operation to the failures it can give; the JWKS is public
/// (its own empty `security`) and takes nothing.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    fn authenticated(_: &HttpMethod, op: &Operation) -> bool {
        op.security.is_none()
    }
    fn with_input(method: &HttpMethod, op: &Operation) -> bool {
        authenticated(method, op) && (op.request_body.is_some() || op.parameters.is_some())
    }
    openapi::complete(
        doc,
        &[
            Failures {
                failures: problems(&AUTHENTICATED),
                on: authenticated,
            },
            Failures {
                failures: problems(&WITH_INPUT),
                on: with_input,
            },
        ],
        openapi::Placement::Components,
    );
}
