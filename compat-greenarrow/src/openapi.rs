//! The dialect's OpenAPI document: its description, tags and security, the
//! failures every operation can answer (declared once, as response
//! components), and the links a stateful client follows from a created key.

use signet_http_kit::openapi::{self, Failure, Failures};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorEnvelope;
use crate::wire::envelope::Empty;

/// The document the routes are added to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Signet: GreenArrow Engine DKIM Keys API",
        description = r#"GreenArrow Engine's DKIM Keys API (`/ga/api/v3/eng/dkim_keys`), served by Signet on the same keys as its Mailgun dialect: a key made, renamed or deleted in one dialect is seen in the other, with the same id.

**Authentication**: HTTP Basic with any user name and the API key as password, or `Authorization: Bearer KEY`.

**Private keys**: `key.private` is returned only when the tenant's `private_key_export` setting is on (`signet tenant set NAME --private-key-export on`). Otherwise the field is omitted from every response (it is never `null`). Private keys are always accepted on create and update.

**Key sizes**: GreenArrow accepts 512 to 8192 bits. Signet also refuses keys below the tenant's `min_rsa_bits` (default 1024, because RFC 8301 forbids verifiers to accept signatures by smaller keys) with `validation_failed` naming `key.bits` or `key.private`; a tenant that needs GreenArrow's full range lowers it with `signet tenant set NAME --min-rsa-bits 512`.

**Envelope**: every response under `/ga/api/v3/eng/` is `{"success", "data", "error_code", "error_messages"}`, with status 200 and `error_code`/`error_messages` null on success. Errors use the codes of GreenArrow's Studio API: `validation_failed` (400, one message per failing field), `invalid_request` (400 for malformed JSON, wrong types, unknown fields, bad query parameters or page token; also 405, 413, 415 and 429), `requested_too_many` (400, `per_page` above 2000), `unauthorized` (401, with `WWW-Authenticate: Basic`), `not_found` (404, unknown id or route) and `internal_error` (500, or 503/408 when Signet is briefly unable to answer). A 429 carries `Retry-After` and the `X-RateLimit-*` headers; a 503 from saturated key generation carries `Retry-After`. No operation answers 403: a key that is not accepted is 401, and a tenant sees only its own keys (another tenant's id is 404)."#
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

/// The failures every operation can answer, as `(status, component, description)`.
const COMMON: [(&str, &str, &str); 6] = [
    ("401", "Unauthorized", "`unauthorized`: missing, malformed or revoked credentials (with `WWW-Authenticate: Basic`)"),
    ("405", "MethodNotAllowed", "`invalid_request`: the path does not take this method"),
    ("408", "RequestTimeout", "`internal_error`: the request took longer than Signet allows"),
    ("429", "TooManyRequests", "`invalid_request`: the API key's rate limit is spent; retry after `Retry-After` seconds"),
    ("500", "InternalError", "`internal_error`: Signet failed; details are logged, never shown"),
    ("503", "Unavailable", "`internal_error`: a backing service is away, or key generation is saturated (then with `Retry-After`)"),
];

/// The failures of operations that take a body.
const WITH_BODY: [(&str, &str, &str); 2] = [
    (
        "413",
        "PayloadTooLarge",
        "`invalid_request`: the body is larger than Signet accepts",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`invalid_request`: the body is not sent as `application/json`",
    ),
];

/// Declares [`COMMON`] and [`WITH_BODY`] once as response components and
/// refers every operation to them (bodies are taken by `POST` and `PUT`),
/// and links a created key to the operations on its id. Applied to the
/// finished document, once the routes are in it.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    fn with_body(method: &HttpMethod, _: &Operation) -> bool {
        matches!(method, HttpMethod::Post | HttpMethod::Put)
    }
    let failures = |list: &[(&'static str, &'static str, &'static str)]| {
        list.iter()
            .map(|&(status, name, description)| Failure {
                status,
                name,
                response: failure(status, description),
            })
            .collect()
    };
    openapi::complete(
        doc,
        &[
            Failures {
                failures: failures(&COMMON),
                on: openapi::every,
            },
            Failures {
                failures: failures(&WITH_BODY),
                on: with_body,
            },
        ],
        openapi::Placement::Components,
    );
    for item in doc.paths.paths.values_mut() {
        if let Some(post) = &mut item.post {
            link_created_key(post);
        }
    }
}

fn failure(status: &str, description: &str) -> Response {
    let seconds = |what: &str| {
        HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(0)),
            )
            .description(Some(what))
            .build()
    };
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
            .build(),
    );
    if status == "429" || status == "503" {
        response = response.header("Retry-After", seconds("Seconds to wait before retrying"));
    }
    if status == "429" {
        response = response
            .header("X-RateLimit-Limit", seconds("Requests allowed in a burst"))
            .header(
                "X-RateLimit-Remaining",
                seconds("Requests left in the burst"),
            )
            .header(
                "X-RateLimit-Reset",
                seconds("Seconds until the burst is whole again"),
            );
    }
    response.build()
}

/// Links the new key's id to the operations on it, so stateful clients (and
/// schemathesis) can create a key, then get, update and delete it.
fn link_created_key(post: &mut Operation) {
    let Some(RefOr::T(created)) = post.responses.responses.get_mut("200") else {
        return;
    };
    for (name, operation) in [
        ("GetKey", "get_key"),
        ("UpdateKey", "update_key"),
        ("DeleteKey", "delete_key"),
    ] {
        created.links.insert(
            name.to_owned(),
            RefOr::T(
                LinkBuilder::new()
                    // utoipa 5.5 writes `operation_id` as `operation_id`, not
                    // `operationId`; the extensions are written as given.
                    .extensions(Some(Extensions::from_iter([("operationId", operation)])))
                    .parameter("id", "$response.body#/data/dkim_key/id")
                    .build(),
            ),
        );
    }
}
