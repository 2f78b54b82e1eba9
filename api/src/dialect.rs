//! Which dialect a path speaks, so the api's own answers (413, 408, 404, 405,
//! and the 500 of a caught panic) come back in the shape that dialect's
//! clients parse.

use std::any::Any;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use signet_http_kit::problem::Problem;

/// The two wire dialects, and the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/console/...` and the fleet feed's `/fleet/...`: `application/problem+json`.
    Console,
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
        } else if path == "/console"
            || path.starts_with("/console/")
            || path == "/fleet"
            || path.starts_with("/fleet/")
        {
            Self::Console
        } else {
            Self::Mailgun
        }
    }

    /// An error response in this dialect's shape.
    pub fn error(self, status: StatusCode, message: &str) -> Response {
        match self {
            Self::Mailgun => signet_compat_mailgun::error_response(status, message),
            Self::GreenArrow => signet_compat_greenarrow::error_response(status, message),
            Self::Console => Problem::new(status, message).into_response(),
        }
    }
}

/// Answers paths no route knows.
pub async fn not_found(req: Request) -> Response {
    match Dialect::of(req.uri().path()) {
        Dialect::Mailgun => signet_compat_mailgun::not_found_response(),
        Dialect::GreenArrow => signet_compat_greenarrow::not_found_response(),
        Dialect::Console => Problem::new(StatusCode::NOT_FOUND, "no such route").into_response(),
    }
}

/// Answers known paths called with a method they do not take.
pub async fn method_not_allowed(req: Request) -> Response {
    match Dialect::of(req.uri().path()) {
        Dialect::Mailgun => signet_compat_mailgun::method_not_allowed_response(),
        Dialect::GreenArrow => signet_compat_greenarrow::method_not_allowed_response(),
        Dialect::Console => Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "the path does not take this method",
        )
        .into_response(),
    }
}

/// Marks the response [`panic_response`] made, for [`reshape_panics`].
#[derive(Debug, Clone, Copy)]
struct Panicked;

/// What `CatchPanicLayer` answers when a handler panics: a bare 500 that
/// [`reshape_panics`] turns into the dialect's shape. The panic is logged
/// without its payload, which could hold request data.
pub fn panic_response(_payload: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(Panicked);
    response
}

/// Gives a caught panic's 500 the dialect's error shape.
pub async fn reshape_panics(req: Request, next: Next) -> Response {
    let dialect = Dialect::of(req.uri().path());
    let response = next.run(req).await;
    if response.extensions().get::<Panicked>().is_some() {
        dialect.error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    } else {
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn call_panicking_route(path: &str) -> (StatusCode, serde_json::Value) {
        use axum::body::{to_bytes, Body};
        use axum::middleware::from_fn;
        use axum::routing::get;
        use tower::ServiceExt as _;
        use tower_http::catch_panic::CatchPanicLayer;

        async fn boom() -> &'static str {
            panic!("a bug")
        }
        let app = axum::Router::new()
            .route("/ga/api/v3/eng/boom", get(boom))
            .route("/v1/boom", get(boom))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(from_fn(reshape_panics));
        let request = Request::builder().uri(path).body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_its_dialects_shape() {
        let (status, body) = call_panicking_route("/v1/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, serde_json::json!({"message": "internal error"}));
        let (status, body) = call_panicking_route("/ga/api/v3/eng/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["success"], false);
        assert_eq!(body["error_code"], "internal_error");
    }

    #[test]
    fn greenarrow_owns_ga_and_mailgun_the_rest() {
        assert_eq!(Dialect::of("/ga/api/v3/eng/dkim_keys"), Dialect::GreenArrow);
        assert_eq!(Dialect::of("/v1/dkim/keys"), Dialect::Mailgun);
        assert_eq!(Dialect::of("/gateway"), Dialect::Mailgun);
        assert_eq!(Dialect::of("/console/v1/keys"), Dialect::Console);
        assert_eq!(Dialect::of("/consoles"), Dialect::Mailgun);
    }
}
