//! The dialect's OpenAPI document: its description, tags and security.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::envelope::Empty;
use crate::error::ErrorEnvelope;

/// The document the routes are added to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Signet: GreenArrow Engine DKIM Keys API",
        description = r#"GreenArrow Engine's DKIM Keys API (`/ga/api/v3/eng/dkim_keys`), served by Signet on the same keys as its Mailgun dialect: a key made, renamed or deleted in one dialect is seen in the other, with the same id.

**Authentication**: HTTP Basic with any user name and the API key as password, or `Authorization: Bearer KEY`.

**Private keys**: `key.private` is returned only when the tenant's `private_key_export` setting is on (`signet tenant set NAME --private-key-export on`). Otherwise the field is omitted from every response (it is never `null`). Private keys are always accepted on create and update.

**Key sizes**: GreenArrow accepts 512 to 8192 bits. Signet also refuses keys below the tenant's `min_rsa_bits` (default 1024, because RFC 8301 forbids verifiers to accept signatures by smaller keys) with `validation_failed` naming `key.bits` or `key.private`; a tenant that needs GreenArrow's full range lowers it with `signet tenant set NAME --min-rsa-bits 512`.

**Envelope**: every response under `/ga/api/v3/eng/` is `{"success", "data", "error_code", "error_messages"}`, with status 200 and `error_code`/`error_messages` null on success. Errors use the codes of GreenArrow's Studio API: `validation_failed` (400, one message per failing field), `invalid_request` (400 for malformed JSON, wrong types, unknown fields, bad query parameters or page token; also 405, 413, 415 and 429), `requested_too_many` (400, `per_page` above 2000), `unauthorized` (401, with `WWW-Authenticate: Basic`), `not_found` (404, unknown id or route) and `internal_error` (500, or 503/408 when Signet is briefly unable to answer)."#
    ),
    components(schemas(ErrorEnvelope, Empty)),
    tags((name = "DKIM Keys", description = "DKIM signing keys of the authenticated tenant")),
    modifiers(&Security),
    security(("basicAuth" = []), ("bearerAuth" = []))
)]
pub struct ApiDoc;

/// Declares the two ways to present an API key.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basicAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("Any user name; the API key as password."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The API key as bearer token."))
                    .build(),
            ),
        );
    }
}
