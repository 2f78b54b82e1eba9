//! The mailgun dialect (placeholder: the mailgun helper replaces this file).

use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use signet_domain::Signet;

/// Options of this dialect.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Build absolute URLs from `X-Forwarded-Proto`/`X-Forwarded-Host`.
    pub trust_forwarded_headers: bool,
}

/// The dialect's routes (absolute paths) and their OpenAPI document.
pub fn router(core: Signet, config: Config) -> (axum::Router, utoipa::openapi::OpenApi) {
    let _ = (core, config);
    (axum::Router::new(), utoipa::openapi::OpenApi::default())
}

/// An error response in this dialect's shape, for the api's own layers
/// (413 body too large, 408 timeout, 429 rate limited, 503 unavailable).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    (status, message.to_owned()).into_response()
}
