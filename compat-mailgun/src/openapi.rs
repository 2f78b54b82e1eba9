//! The dialect's OpenAPI document: what the routes do not say themselves (the
//! auth scheme, the error answers every operation can give) and the schemas
//! of the parameters the extractors parse, so the document refuses exactly
//! what the server refuses.

use signet_http_kit::openapi::{self, Failure, Failures};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The document the routes are added to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Signet: Mailgun dialect",
        description = "Mailgun's Domain Keys API and the domain endpoints it needs, served by Signet. \
Point a Mailgun SDK at Signet's base URL. Authenticate with HTTP Basic (api:YOUR_API_KEY). \
Request bodies are declared as multipart/form-data, as in Mailgun's own reference; the server also \
accepts the same parameters in an application/x-www-form-urlencoded body or in the query string, on \
every method. Booleans accept true/false, yes/no and 1/0 in any case. Errors are {\"message\": \"...\"}.",
    ),
    modifiers(&BasicAuth),
    tags(
        (name = "Domain Keys", description = "DKIM keys: create, import, list, activate, delete."),
        (name = "Domains", description = "Sending domains and their DKIM records."),
        (name = "DKIM Security", description = "Key rotation with overlap: pending, active, retiring, retired."),
    )
)]
pub struct MailgunDoc;

/// Completes the document once every route is in it.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    openapi::complete(
        doc,
        &[Failures {
            failures: COMMON
                .iter()
                .map(|&(status, name, description, headers)| Failure {
                    status,
                    name,
                    response: error_response(description, headers),
                })
                .collect(),
            on: openapi::every,
        }],
        openapi::Placement::Components,
    );
    plain_field_names(doc);
    unwrap_described_fields(doc);
}

/// utoipa gives an inlined field schema with a doc comment as a `oneOf` of
/// one schema beside the description; generators then make a needless union
/// type (`BitsType0`). The field becomes that one schema, described.
fn unwrap_described_fields(openapi: &mut utoipa::openapi::OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for field in object.properties.values_mut() {
            let RefOr::T(Schema::OneOf(one_of)) = field else {
                continue;
            };
            if let [RefOr::T(Schema::Object(only))] = one_of.items.as_slice() {
                let mut only = only.clone();
                only.description = one_of.description.take();
                *field = RefOr::T(Schema::Object(only));
            }
        }
    }
}

/// Forms take fields of any name (Mailgun's fields Signet ignores included),
/// but a name a multipart header cannot carry (control characters) is a
/// malformed body, which the server refuses.
fn plain_field_names(openapi: &mut utoipa::openapi::OpenApi) {
    let mut forms = Vec::new();
    for item in openapi.paths.paths.values() {
        let operations = [&item.get, &item.put, &item.post, &item.delete];
        for operation in operations.into_iter().flatten() {
            let bodies = operation
                .request_body
                .iter()
                .flat_map(|b| b.content.values());
            for content in bodies {
                if let Some(RefOr::Ref(form)) = &content.schema {
                    forms.extend(form.ref_location.rsplit('/').next().map(str::to_owned));
                }
            }
        }
    }
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for form in forms {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&form) {
            let names = ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[^\u0000-\u0008\u000A-\u001F\u007F]*$"));
            object.property_names = Some(Box::new(names.into()));
        }
    }
}

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

/// The error answers any operation can give (bad input, auth, the api's own
/// limits, an unavailable backend), declared once as response components and
/// referenced by every operation that does not describe that status itself.
/// Generated clients then parse them instead of giving up. Status, component
/// name, description, and headers beyond the body.
const COMMON: [(&str, &str, &str, &[&str]); 10] = [
    ("400", "BadRequest", "Bad parameters", &[]),
    ("401", "Unauthorized", "Invalid private key", &[]),
    (
        "403",
        "Forbidden",
        "Acting on behalf of another account",
        &[],
    ),
    ("404", "NotFound", "Not found", &[]),
    ("405", "MethodNotAllowed", "Method Not Allowed", &[]),
    ("408", "RequestTimeout", "The request took too long", &[]),
    (
        "413",
        "PayloadTooLarge",
        "The request body is too large",
        &[],
    ),
    (
        "429",
        "TooManyRequests",
        "Rate limited: retry after Retry-After seconds",
        &[
            RETRY_AFTER,
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
        ],
    ),
    ("500", "InternalError", "Internal error", &[]),
    (
        "503",
        "Unavailable",
        "A backing service is away, or key generation is saturated (then with Retry-After)",
        &[RETRY_AFTER],
    ),
];

const RETRY_AFTER: &str = "Retry-After";

/// A `{"message"}` answer with these (optional) integer headers.
fn error_response(description: &str, headers: &[&str]) -> Response {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("GenericResponse")))
        .build();
    headers
        .iter()
        .fold(
            ResponseBuilder::new()
                .description(description)
                .content("application/json", body),
            |response, name| {
                let header = HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0)),
                    )
                    .description(Some(header_description(name)))
                    .build();
                response.header(*name, header)
            },
        )
        .build()
}

fn header_description(name: &str) -> &'static str {
    match name {
        RETRY_AFTER => "Seconds to wait before trying again",
        "X-RateLimit-Limit" => "Requests allowed in a window",
        "X-RateLimit-Remaining" => "Requests left in this window",
        _ => "Seconds until the window resets",
    }
}
