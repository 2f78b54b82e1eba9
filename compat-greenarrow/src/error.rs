//! The one place where errors become responses, in GreenArrow's envelope.
//!
//! GreenArrow Engine publishes no list of error codes, so this dialect uses
//! those of its sibling Studio API:
//!
//! | status | `error_code` | when |
//! |---|---|---|
//! | 400 | `validation_failed` | a field is invalid (one message per field) or a selector is taken |
//! | 400 | `invalid_request` | malformed JSON, wrong types, unknown fields, bad query or page token |
//! | 400 | `requested_too_many` | `per_page` above the maximum |
//! | 401 | `unauthorized` | missing, malformed or revoked credentials |
//! | 404 | `not_found` | unknown key id or route |
//! | 405, 413, 415, 429, other 4xx | `invalid_request` | the request cannot be processed as sent |
//! | 408, 5xx | `internal_error` | Signet could not answer in time or at all (a 503 with `Retry-After` when key generation is saturated) |

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use signet_domain::{Chain, Entity, Error, RuleViolation};
use signet_http_kit::whole_seconds;
use utoipa::ToSchema;

/// What `WWW-Authenticate` says on every 401.
pub const AUTH_CHALLENGE: &str = "Basic realm=\"signet\"";

/// The message given when a selector is taken.
pub const SELECTOR_TAKEN: &str = "selector must be unique (case-insensitive) among all DKIM Keys with the same (case-insensitive) domain";

/// An error code of GreenArrow's Studio API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A record would be invalid.
    ValidationFailed,
    /// The request could not be processed.
    InvalidRequest,
    /// Too many records were asked for at once.
    RequestedTooMany,
    /// The record or route does not exist.
    NotFound,
    /// The credentials were not accepted.
    Unauthorized,
    /// Signet failed.
    InternalError,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed => "validation_failed",
            Self::InvalidRequest => "invalid_request",
            Self::RequestedTooMany => "requested_too_many",
            Self::NotFound => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::InternalError => "internal_error",
        }
    }

    /// The code for a status produced outside this dialect (axum, the api's layers).
    fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::REQUEST_TIMEOUT => Self::InternalError,
            s if s.is_server_error() => Self::InternalError,
            _ => Self::InvalidRequest,
        }
    }
}

/// A failed request: status, code and English messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreenArrowError {
    status: StatusCode,
    code: ErrorCode,
    messages: Vec<String>,
    /// Whole seconds for `Retry-After`, on a 503 worth retrying later.
    retry_after: Option<u64>,
}

impl GreenArrowError {
    /// An error with this status, code and messages.
    pub fn new(status: StatusCode, code: ErrorCode, messages: Vec<String>) -> Self {
        Self {
            status,
            code,
            messages,
            retry_after: None,
        }
    }

    /// `validation_failed`: one message per failing field.
    pub fn validation(messages: Vec<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
            messages,
        )
    }

    /// `invalid_request`: the request is malformed.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            vec![message.into()],
        )
    }

    /// `requested_too_many`: a page larger than allowed.
    pub fn requested_too_many(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::RequestedTooMany,
            vec![message.into()],
        )
    }

    /// `not_found` for a path no route knows.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            vec!["Not Found".into()],
        )
    }

    /// `invalid_request` with 405 for a method the path does not take.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::InvalidRequest,
            vec!["Method Not Allowed".into()],
        )
    }

    /// `not_found` for a DKIM key.
    pub fn key_not_found() -> Self {
        Self::missing(Entity::Key)
    }

    fn missing(entity: Entity) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            vec![format!("{entity} not found")],
        )
    }

    /// `unauthorized`, with a Basic challenge.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            vec!["invalid or missing API key".into()],
        )
    }

    /// `internal_error` with 503: a backing service is down; worth retrying.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InternalError,
            vec!["service temporarily unavailable, try again later".into()],
        )
    }

    /// `internal_error` with 503 and `Retry-After`: key generation is saturated.
    pub fn busy(retry_after: std::time::Duration) -> Self {
        Self {
            retry_after: Some(whole_seconds(retry_after)),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::InternalError,
                vec!["too many keys are being generated, try again later".into()],
            )
        }
    }

    /// An error for a status produced outside this dialect.
    pub fn from_status(status: StatusCode, message: &str) -> Self {
        Self::new(status, ErrorCode::for_status(status), vec![message.into()])
    }

    /// The error code.
    #[cfg(test)]
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl std::fmt::Display for GreenArrowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code.as_str(),
            self.messages.join("; ")
        )
    }
}

impl std::error::Error for GreenArrowError {}

impl From<Error> for GreenArrowError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(entity) => Self::missing(entity),
            Error::Conflict(Entity::Key) => Self::validation(vec![SELECTOR_TAKEN.into()]),
            Error::Conflict(entity) => Self::validation(vec![format!("{entity} already exists")]),
            Error::Rule(RuleViolation::WeakKey {
                bits,
                min,
                imported,
            }) => Self::validation(vec![if imported {
                format!(
                    "key.private must be a key of at least {min} bits for this account \
                     (min_rsa_bits); it has {bits}"
                )
            } else {
                format!(
                    "key.bits must be greater than or equal to {min} for this account \
                     (min_rsa_bits)"
                )
            }]),
            Error::Rule(rule) => Self::validation(vec![rule.to_string()]),
            Error::Unavailable(cause) => {
                tracing::warn!(cause = %Chain(&*cause), "backing service unavailable");
                Self::unavailable()
            }
            Error::Busy { what, retry_after } => {
                tracing::info!(what, ?retry_after, "busy");
                Self::busy(retry_after)
            }
            Error::Internal(cause) => {
                tracing::error!(cause = %Chain(&*cause), "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::InternalError,
                    vec!["internal error".into()],
                )
            }
        }
    }
}

/// The envelope of a failed request.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "success": false,
    "data": null,
    "error_code": "validation_failed",
    "error_messages": ["domain must be from 1 to 200 characters in length"]
}))]
pub struct ErrorEnvelope {
    /// Always `false`.
    success: bool,
    /// Always `null`.
    #[schema(value_type = Option<Object>)]
    data: Option<()>,
    /// `validation_failed`, `invalid_request`, `requested_too_many`, `not_found`,
    /// `unauthorized` or `internal_error`.
    error_code: &'static str,
    /// English messages; for `validation_failed`, one per failing field.
    error_messages: Vec<String>,
}

impl IntoResponse for GreenArrowError {
    fn into_response(self) -> Response {
        let body = ErrorEnvelope {
            success: false,
            data: None,
            error_code: self.code.as_str(),
            error_messages: self.messages,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(AUTH_CHALLENGE),
            );
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_from_other_layers_get_studio_codes() {
        let code = |s| ErrorCode::for_status(s).as_str();
        assert_eq!(code(StatusCode::BAD_REQUEST), "invalid_request");
        assert_eq!(code(StatusCode::UNAUTHORIZED), "unauthorized");
        assert_eq!(code(StatusCode::NOT_FOUND), "not_found");
        assert_eq!(code(StatusCode::PAYLOAD_TOO_LARGE), "invalid_request");
        assert_eq!(code(StatusCode::TOO_MANY_REQUESTS), "invalid_request");
        assert_eq!(code(StatusCode::REQUEST_TIMEOUT), "internal_error");
        assert_eq!(code(StatusCode::SERVICE_UNAVAILABLE), "internal_error");
        assert_eq!(code(StatusCode::INTERNAL_SERVER_ERROR), "internal_error");
    }

    #[test]
    fn a_taken_selector_is_a_validation_failure_on_the_selector() {
        let e = GreenArrowError::from(Error::Conflict(Entity::Key));
        assert_eq!(e.code(), ErrorCode::ValidationFailed);
        assert_eq!(e.messages, [SELECTOR_TAKEN]);
    }

    #[test]
    fn busy_is_a_503_with_retry_after_in_whole_seconds() {
        let e = GreenArrowError::from(Error::Busy {
            what: "key generation",
            retry_after: std::time::Duration::from_millis(1500),
        });
        let response = e.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }

    #[test]
    fn a_weak_key_names_the_field_it_came_in() {
        let weak = |imported| {
            GreenArrowError::from(Error::Rule(RuleViolation::WeakKey {
                bits: 512,
                min: 1024,
                imported,
            }))
        };
        let generated = weak(false);
        assert_eq!(generated.code(), ErrorCode::ValidationFailed);
        assert!(generated.messages[0].starts_with("key.bits "));
        assert!(generated.messages[0].contains("1024"));
        assert!(weak(true).messages[0].starts_with("key.private "));
    }

    #[test]
    fn internal_details_are_never_shown() {
        let e = GreenArrowError::from(Error::internal("db password is hunter2"));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.messages, ["internal error"]);
    }
}
