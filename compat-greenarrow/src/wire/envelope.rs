//! The success envelope every answer under `/ga/api/v3/eng/` is wrapped in.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// `{"success": true, "data": ..., "error_code": null, "error_messages": null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    success: bool,
    /// The result of the call.
    data: T,
    /// Always `null`.
    #[schema(value_type = Option<String>)]
    error_code: Option<()>,
    /// Always `null`.
    #[schema(value_type = Option<Vec<String>>)]
    error_messages: Option<()>,
}

impl<T> Envelope<T> {
    /// A successful answer carrying `data`.
    pub fn ok(data: T) -> Self {
        Self {
            success: true,
            data,
            error_code: None,
            error_messages: None,
        }
    }
}

impl<T: Serialize> IntoResponse for Envelope<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// The `data` of a delete: `{}`.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Empty {}
