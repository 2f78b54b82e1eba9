//! The dialect's OpenAPI document: what the routes do not say themselves (the
//! auth scheme, the error answers every operation can give) and the schemas
//! of the parameters the extractors parse, so the document refuses exactly
//! what the server refuses.

use signet_domain::names::MAX_NAME_LEN;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::wire::{MAX_DOMAIN_LIMIT, MAX_DOMAIN_SKIP, MAX_KEY_LIMIT};

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
pub fn finish(openapi: &mut utoipa::openapi::OpenApi) {
    CommonResponses.modify(openapi);
    plain_field_names(openapi);
    unwrap_described_fields(openapi);
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
/// Generated clients then parse them instead of giving up.
struct CommonResponses;

/// Status, component name, description, and headers beyond the body.
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

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description, headers) in COMMON {
            components.responses.insert(
                name.to_owned(),
                RefOr::T(error_response(description, headers)),
            );
        }
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, name, _, _) in COMMON {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

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

/// One DNS label: letters, digits and inner dashes.
const LABEL: &str = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
/// One selector label: letters, digits, underscores and inner dashes.
const SELECTOR_LABEL: &str = "[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?";

/// Schema-only types for parameters the wire types parse from text: fields
/// name them in `value_type` (with `inline`) so the document carries the
/// constraints the parsers enforce.
macro_rules! schema {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                Schema::Object($schema).into()
            }
        }

        impl ToSchema for $name {}
    };
}

schema!(
    /// A domain name, as `DomainName::parse` takes it.
    DomainNameText => name(&domain_pattern(), "example.com", 1)
);
schema!(
    /// An optional domain name: empty means none.
    OptionalDomainNameText => name(&domain_pattern(), "example.com", 0)
);
schema!(
    /// A selector, as `Selector::parse` takes it: dot-separated labels.
    SelectorText => name(&selector_pattern(), "s1", 1)
);
schema!(
    /// An optional selector: empty means none.
    OptionalSelectorText => name(&selector_pattern(), "s1", 0)
);
schema!(
    /// The selector of a new domain, optional: one label (an RFC 2822 atom,
    /// no dots).
    OptionalAtomSelectorText => name(SELECTOR_LABEL, "mx", 0)
);
schema!(
    /// A key size Mailgun makes.
    KeyBits => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .enum_values(Some([1024, 2048]))
        .examples([2048])
        .build()
);
schema!(
    /// A key algorithm (Signet extension).
    KeyAlgorithmText => ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["rsa", "ed25519"]))
        .examples(["ed25519"])
        .build()
);
schema!(
    /// A boolean, or one of the spellings the server reads as one.
    Flag => flag("")
);
schema!(
    /// An optional boolean: empty means absent.
    OptionalFlag => flag("|")
);
schema!(
    /// The sort orders of domain lists; empty means the default.
    DomainSort => ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["", "name", "name:asc", "name:desc"]))
        .build()
);
schema!(
    /// The states a domain list can be filtered by; empty means any.
    DomainState => ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["", "active", "unverified", "disabled"]))
        .build()
);
schema!(
    /// Keys per page: 0 (the default) to 100.
    KeyLimit => bounded(MAX_KEY_LIMIT)
);
schema!(
    /// Domains per page: 0 (the default) to 1000.
    DomainLimit => bounded(MAX_DOMAIN_LIMIT)
);
schema!(
    /// Domains to skip: any count the server can hold.
    DomainSkip => bounded(MAX_DOMAIN_SKIP)
);

schema!(
    /// A span of time, optional: digits and a unit `d`, `h`, `m` or `s`
    /// (seconds without one); empty means absent.
    OptionalSpanText => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^(?:[0-9]{1,9}[dhmsDHMS]?)?$"))
        .examples(["5d"])
        .build()
);
schema!(
    /// Algorithms, optional: `rsa`, `ed25519` or both, comma-separated.
    OptionalAlgorithmsText => ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^(?:(?:rsa|ed25519)(?:,(?:rsa|ed25519))*)?$"))
        .examples(["rsa"])
        .build()
);

fn domain_pattern() -> String {
    format!(r"{LABEL}(?:\.{LABEL})*")
}

fn selector_pattern() -> String {
    format!(r"{SELECTOR_LABEL}(?:\.{SELECTOR_LABEL})*")
}

/// A string of at most the core's name length made of `pattern`, or empty
/// when `min_length` is 0 (the server reads an empty value as an absent one).
fn name(pattern: &str, example: &str, min_length: usize) -> Object {
    let pattern = if min_length == 0 {
        format!("^(?:{pattern})?$")
    } else {
        format!("^{pattern}$")
    };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(Some(min_length))
        .max_length(Some(MAX_NAME_LEN))
        .examples([example])
        .build()
}

/// `true`/`false`, `yes`/`no` in any case, or `1`/`0`: what
/// `Params::boolean` reads; `empty` is `|` when an empty value is allowed.
fn flag(empty: &str) -> Object {
    let any_case = |word: &str| {
        word.chars()
            .map(|c| format!("[{}{c}]", c.to_ascii_uppercase()))
            .collect::<String>()
    };
    let words = ["true", "false", "yes", "no"].map(any_case).join("|");
    ObjectBuilder::new()
        .schema_type(
            [Type::Boolean, Type::String]
                .into_iter()
                .collect::<SchemaType>(),
        )
        .pattern(Some(format!("^(?:{words}|1|0{empty})$")))
        .examples([true])
        .build()
}

/// A whole number from 0 to `max`.
fn bounded(max: u64) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(max))
        .build()
}
