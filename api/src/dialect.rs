//! Which dialect a path speaks, so the api's own answers (413, 408, 404, 405)
//! come back in the shape that dialect's clients parse.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;

/// The two wire dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/v1/`, `/v3/`, `/v4/`, and every path outside `/ga/`: `{"message": ...}`.
    Mailgun,
    /// `/ga/...`: the `{"success", "data", "error_code", "error_messages"}` envelope.
    GreenArrow,
}

impl Dialect {
    /// The dialect of a request path.
    pub fn of(path: &str) -> Self {
        if path == "/ga" || path.starts_with("/ga/") {
            Self::GreenArrow
        } else {
            Self::Mailgun
        }
    }

    /// An error response in this dialect's shape.
    pub fn error(self, status: StatusCode, message: &str) -> Response {
        match self {
            Self::Mailgun => signet_compat_mailgun::error_response(status, message),
            Self::GreenArrow => signet_compat_greenarrow::error_response(status, message),
        }
    }
}

/// Answers paths no route knows.
pub async fn not_found(req: Request) -> Response {
    Dialect::of(req.uri().path()).error(StatusCode::NOT_FOUND, "Not Found")
}

/// Answers known paths called with a method they do not take.
pub async fn method_not_allowed(req: Request) -> Response {
    Dialect::of(req.uri().path()).error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greenarrow_owns_ga_and_mailgun_the_rest() {
        assert_eq!(Dialect::of("/ga/api/v3/eng/dkim_keys"), Dialect::GreenArrow);
        assert_eq!(Dialect::of("/v1/dkim/keys"), Dialect::Mailgun);
        assert_eq!(Dialect::of("/gateway"), Dialect::Mailgun);
    }
}
