//! The dialect's OpenAPI document: what the routes do not say themselves.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document the routes are added to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Signet: Mailgun dialect",
        description = "Mailgun's Domain Keys API and the domain endpoints it needs, served by Signet. \
Point a Mailgun SDK at Signet's base URL. Authenticate with HTTP Basic (`api:YOUR_API_KEY`). \
Parameters are read from the query string, an urlencoded body or a multipart body on every method; \
booleans accept true/false, yes/no and 1/0. Errors are `{\"message\": \"...\"}`."
    ),
    modifiers(&BasicAuth),
    tags(
        (name = "Domain Keys", description = "DKIM keys: create, import, list, activate, delete."),
        (name = "Domains", description = "Sending domains and their DKIM records."),
    )
)]
pub struct MailgunDoc;

/// Declares Mailgun's `basicAuth` scheme.
struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basicAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("HTTP Basic auth using api:YOUR_API_KEY"))
                    .build(),
            ),
        );
    }
}
