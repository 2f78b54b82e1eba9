//! The feed's one mapping of errors to responses: the problem documents
//! the console also answers with ([`Problem`]), and a 401 challenging for
//! the feed's own realm.

pub use signet_http_kit::problem::{Problem, ProblemDetails};

/// The realm of the feed's Bearer challenge.
const REALM: &str = "signet-fleet";

/// 401, with `WWW-Authenticate: Bearer realm="signet-fleet"`.
pub fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem::unauthorized(REALM, detail)
}
