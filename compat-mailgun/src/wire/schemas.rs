//! Schema-only types for the parameters the wire types parse from text, so
//! the document refuses exactly what the server refuses. They sit beside the
//! wire types that name them, below the document that collects them.

use signet_domain::names::MAX_NAME_LEN;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::{MAX_DOMAIN_LIMIT, MAX_DOMAIN_SKIP, MAX_KEY_LIMIT};

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
    /// Keys per page: 0 (the default) to 100; empty is the default too.
    KeyLimit => bounded(MAX_KEY_LIMIT)
);
schema!(
    /// Domains per page: 0 (the default) to 1000; empty is the default too.
    DomainLimit => bounded(MAX_DOMAIN_LIMIT)
);
schema!(
    /// Domains to skip: any count the server can hold; empty skips none.
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
/// Or a whole number from 0: every parameter is text (a form field, a query
/// parameter, a JSON number read as its digits), and digits alone are a
/// valid domain label and selector, so a number is a name the server takes.
fn name(pattern: &str, example: &str, min_length: usize) -> Object {
    let pattern = if min_length == 0 {
        format!("^(?:{pattern})?$")
    } else {
        format!("^{pattern}$")
    };
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Integer]))
        .minimum(Some(0))
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

/// A whole number from 0 to `max`, or empty: the server takes an empty
/// parameter for an absent one, as it does every other (`limit=` is the
/// default limit), so the document says so rather than let a client believe
/// `skip=` is refused. The bounds apply to the number, the length to the text.
fn bounded(max: u64) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::String]))
        .minimum(Some(0))
        .maximum(Some(max))
        .max_length(Some(0))
        .build()
}
