//! The GreenArrow Engine dialect: the DKIM Keys API under `/ga/api/v3/eng/`,
//! on Signet's core. Every answer under that prefix, including those for
//! unknown routes, wrong methods and malformed requests, is GreenArrow's
//! envelope, with the error codes of GreenArrow's Studio API (the table is in
//! `error.rs`).

mod error;
mod extract;
mod keys;
mod list;
mod openapi;
mod paging;
mod wire;

use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::any;
use signet_domain::Signet;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::GreenArrowError;

/// The prefix of every route of this dialect.
const PREFIX: &str = "/ga/api/v3/eng";

/// Options of this dialect.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Build absolute URLs from `X-Forwarded-Proto`/`X-Forwarded-Host`.
    /// (GreenArrow's answers hold no URLs, so this dialect does not use it.)
    pub trust_forwarded_headers: bool,
}

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    core: Signet,
}

/// The dialect's routes (absolute paths) and their OpenAPI document.
pub fn router(core: Signet, config: Config) -> (axum::Router, utoipa::openapi::OpenApi) {
    let Config {
        trust_forwarded_headers: _,
    } = config;
    let (routes, openapi) = document(documented_routes());
    let router = routes
        .route(PREFIX, any(|| async { not_found_response() }))
        .route(
            &format!("{PREFIX}/"),
            any(|| async { not_found_response() }),
        )
        .route(
            &format!("{PREFIX}/{{*rest}}"),
            any(|| async { not_found_response() }),
        )
        .method_not_allowed_fallback(|| async { method_not_allowed_response() })
        .with_state(AppState { core });
    (router, openapi)
}

/// The API's routes, each with its documentation.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(list::list_keys, keys::create_key))
        .routes(routes!(keys::get_key, keys::update_key, keys::delete_key))
}

/// The routes and their finished document.
fn document(routes: OpenApiRouter<AppState>) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut openapi) = routes.split_for_parts();
    openapi::complete(&mut openapi);
    (routes, openapi)
}

/// An error response in this dialect's shape, for the api's own layers
/// (413 body too large, 408 timeout, 429 rate limited, 503 unavailable).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    GreenArrowError::from_status(status, message).into_response()
}

/// The dialect's one answer to a path no route knows, under its prefix or
/// anywhere else under `/ga/`. It quotes nothing of the path, which can hold
/// anything, a private key included.
pub fn not_found_response() -> Response {
    GreenArrowError::not_found().into_response()
}

/// The dialect's one answer to a known path called with a method it does not take.
pub fn method_not_allowed_response() -> Response {
    GreenArrowError::method_not_allowed().into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_in_openapi_3_1_with_basic_auth() {
        let (_, doc) = document(documented_routes());
        let json = serde_json::to_value(&doc).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = &json["paths"];
        for method in ["get", "post"] {
            assert!(
                paths["/ga/api/v3/eng/dkim_keys"][method].is_object(),
                "{method}"
            );
        }
        for method in ["get", "put", "delete"] {
            assert!(
                paths["/ga/api/v3/eng/dkim_keys/{id}"][method].is_object(),
                "{method}"
            );
        }
        let basic = &json["components"]["securitySchemes"]["basicAuth"];
        assert_eq!(basic["scheme"], "basic");
        let description = json["info"]["description"].as_str().unwrap();
        assert!(description.contains("private_key_export"));
        let private = &json["components"]["schemas"]["KeyMaterialOutput"]["properties"]["private"];
        assert!(private["description"]
            .as_str()
            .unwrap()
            .contains("private_key_export"));
    }
}
