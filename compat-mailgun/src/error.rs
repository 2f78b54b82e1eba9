//! The one place where errors become responses: Mailgun's `{"message": ...}`
//! with Mailgun's status codes, and the words of its DKIM-management service
//! (`{"Reason"}`, `{"Description"}`). Internal causes are logged, never echoed.

use std::borrow::Cow;
use std::fmt;

use axum::extract::rejection::PathRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use signet_domain::excerpt::{excerpt, scrub};
use signet_domain::{Chain, Entity, Error, RuleViolation};
use signet_http_kit::whole_seconds;

use crate::wire::messages::{GenericResponse, ManagementNotFound, ManagementReason};

/// The dialect's 404 message for a domain.
const DOMAIN_NOT_FOUND: &str = "Domain not found";

/// The `WWW-Authenticate` challenge sent with every 401.
const CHALLENGE: &str = "Basic realm=\"signet\"";

/// A failed request, as Mailgun reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailgunError {
    status: StatusCode,
    message: Cow<'static, str>,
    /// Whole seconds for `Retry-After`, on a 503 worth retrying later.
    retry_after: Option<u64>,
}

/// Result of a handler.
pub type Result<T, E = MailgunError> = std::result::Result<T, E>;

impl MailgunError {
    /// An error with this status and message.
    pub fn from_status(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400: the request is malformed or breaks a rule.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::from_status(StatusCode::BAD_REQUEST, message)
    }

    /// 401: missing or wrong credentials, in the words of Mailgun's document.
    pub fn unauthorized() -> Self {
        Self::from_status(StatusCode::UNAUTHORIZED, "Invalid private key")
    }

    /// 403: the caller may not act for the account it named.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::from_status(StatusCode::FORBIDDEN, message)
    }

    /// 404 for a path no route serves.
    pub fn not_found() -> Self {
        Self::from_status(StatusCode::NOT_FOUND, "Not Found")
    }

    /// 405 for a method a route does not serve.
    pub fn method_not_allowed() -> Self {
        Self::from_status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
    }

    /// 503: a backing service cannot answer right now.
    pub fn unavailable() -> Self {
        Self::from_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "service temporarily unavailable, try again later",
        )
    }

    /// 503 with `Retry-After`: key generation is saturated.
    pub fn busy(retry_after: std::time::Duration) -> Self {
        Self {
            retry_after: Some(whole_seconds(retry_after)),
            ..Self::from_status(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many keys are being generated, try again later",
            )
        }
    }

    /// 404 `Domain not found`.
    pub fn domain_not_found() -> Self {
        Self::from_status(StatusCode::NOT_FOUND, DOMAIN_NOT_FOUND)
    }

    /// 400 for a private key that cannot be read.
    pub fn bad_pem() -> Self {
        Self::bad_request("failed to import domain key: failed to parse PEM")
    }

    /// 400 for a parameter that is required and missing or empty.
    pub fn missing(field: &str) -> Self {
        Self::bad_request(format!("{field} is required"))
    }

    /// 400 for a parameter that does not parse. The name may be one the
    /// client made up, so only an excerpt of it is quoted.
    pub fn invalid(field: &str, reason: impl fmt::Display) -> Self {
        Self::bad_request(format!("{} {reason}", excerpt(field)))
    }

    /// A mapper for core errors of an operation: duplicates and broken rules
    /// are reported after `action`, as Mailgun words them
    /// (`failed to create domain key: duplicate key`).
    pub fn during(action: &'static str) -> impl Fn(Error) -> Self {
        move |e| match e {
            Error::Conflict(Entity::Key) => Self::bad_request(format!("{action}: duplicate key")),
            Error::Rule(RuleViolation::LastActiveKey) => {
                Self::bad_request(format!("{action}: {}", RuleViolation::LastActiveKey))
            }
            Error::Rule(weak @ RuleViolation::WeakKey { imported, .. }) => {
                let action = if imported {
                    "failed to import domain key"
                } else {
                    action
                };
                Self::bad_request(format!("{action}: {weak}"))
            }
            other => Self::from(other),
        }
    }
}

impl From<Error> for MailgunError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(Entity::Key) => {
                Self::from_status(StatusCode::NOT_FOUND, "domain key not found")
            }
            Error::NotFound(Entity::Domain) => Self::domain_not_found(),
            Error::NotFound(entity) => {
                Self::from_status(StatusCode::NOT_FOUND, format!("{entity} not found"))
            }
            Error::Conflict(Entity::Key) => Self::bad_request("duplicate key"),
            Error::Conflict(Entity::Domain) => Self::bad_request("Domain already exists"),
            Error::Conflict(entity) => Self::bad_request(format!("{entity} already exists")),
            Error::Rule(rule) => Self::bad_request(rule.to_string()),
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
                Self::from_status(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<PathRejection> for MailgunError {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_server_error() {
            tracing::error!(cause = %scrub(&rejection.body_text()), "path extraction failed");
            Self::from_status(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        } else {
            Self::bad_request(format!("invalid path: {}", scrub(&rejection.body_text())))
        }
    }
}

impl fmt::Display for MailgunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.as_u16(), self.message)
    }
}

impl IntoResponse for MailgunError {
    fn into_response(self) -> Response {
        let body = Json(GenericResponse {
            message: self.message.into_owned(),
        });
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(CHALLENGE),
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

/// A failed request to Mailgun's DKIM-management endpoints, which answer
/// 400 as `{"Reason": ...}` and 404 as `{"Description": ...}` (`domain not
/// found`, in those endpoints' lower case); every other status as the rest
/// of the dialect does.
#[derive(Debug)]
pub struct ManagementError(MailgunError);

impl From<MailgunError> for ManagementError {
    fn from(e: MailgunError) -> Self {
        Self(e)
    }
}

impl From<Error> for ManagementError {
    fn from(e: Error) -> Self {
        Self(MailgunError::from(e))
    }
}

impl fmt::Display for ManagementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ManagementError {
    /// The 404 body: the dialect's `Domain not found` as these endpoints
    /// word it, and any other entity (a key gone during a rotation) by name.
    fn not_found(&self) -> ManagementNotFound {
        let description = if self.0.message == DOMAIN_NOT_FOUND {
            "domain not found".to_owned()
        } else {
            self.0.message.clone().into_owned()
        };
        ManagementNotFound { description }
    }
}

impl IntoResponse for ManagementError {
    fn into_response(self) -> Response {
        match self.0.status {
            StatusCode::BAD_REQUEST => {
                let body = ManagementReason {
                    reason: self.0.message.into_owned(),
                };
                (StatusCode::BAD_REQUEST, Json(body)).into_response()
            }
            StatusCode::NOT_FOUND => {
                (StatusCode::NOT_FOUND, Json(self.not_found())).into_response()
            }
            _ => self.0.into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_management_404_names_what_was_not_found() {
        let described = |e: Error| ManagementError::from(e).not_found().description;
        assert_eq!(
            described(Error::NotFound(Entity::Domain)),
            "domain not found"
        );
        assert_eq!(
            described(Error::NotFound(Entity::Key)),
            "domain key not found"
        );
        let path = ManagementError::from(MailgunError::domain_not_found());
        assert_eq!(path.not_found().description, "domain not found");
    }
}
