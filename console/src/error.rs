//! The console's one mapping of errors to responses: every failure is an
//! `application/problem+json` document ([`Problem`], shared with the fleet
//! feed), and a 401 challenges for the console's realm.

pub use signet_http_kit::problem::{Body, Path, Problem, ProblemDetails, Query, PROBLEM_JSON};

/// The realm of the console's Bearer challenge.
const REALM: &str = "signet-console";

/// 401, with `WWW-Authenticate: Bearer realm="signet-console"`.
pub fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem::unauthorized(REALM, detail)
}
