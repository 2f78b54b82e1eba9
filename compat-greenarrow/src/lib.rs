//! The GreenArrow Engine dialect: the DKIM Keys API under `/ga/api/v3/eng/`,
//! on Signet's core. Every answer under that prefix, including those for
//! unknown routes, wrong methods and malformed requests, is GreenArrow's
//! envelope, with the error codes of GreenArrow's Studio API (the table is in
//! `error.rs`).

mod envelope;
mod error;
mod extract;
mod keys;
mod list;
mod openapi;
mod payload;
mod token;
mod wire;

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use axum::routing::any;
use signet_domain::excerpt::excerpt;
use signet_domain::Signet;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::GaError;

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
    let (routes, openapi) = documented_routes().split_for_parts();
    let router = routes
        .route(PREFIX, any(unknown_route))
        .route(&format!("{PREFIX}/"), any(unknown_route))
        .route(&format!("{PREFIX}/{{*rest}}"), any(unknown_route))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(AppState { core });
    (router, openapi)
}

/// The API's routes, each with its documentation.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(list::list_keys, keys::create_key))
        .routes(routes!(keys::get_key, keys::update_key, keys::delete_key))
}

/// An error response in this dialect's shape, for the api's own layers
/// (413 body too large, 408 timeout, 429 rate limited, 503 unavailable).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    GaError::from_status(status, message).into_response()
}

/// The method and path as a message may quote them: a path can hold
/// anything, a private key included, so only an excerpt of what follows the
/// prefix is quoted.
fn request_line(method: &Method, uri: &Uri) -> (String, String) {
    let path = uri.path();
    let path = match path.strip_prefix(PREFIX) {
        Some(rest) => format!("{PREFIX}{}", excerpt(rest)),
        None => excerpt(path),
    };
    (excerpt(method.as_str()), path)
}

async fn unknown_route(method: Method, uri: Uri) -> GaError {
    let (method, path) = request_line(&method, &uri);
    GaError::from_status(
        StatusCode::NOT_FOUND,
        &format!("no such route: {method} {path}"),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> GaError {
    let (method, path) = request_line(&method, &uri);
    GaError::from_status(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("method {method} is not allowed on {path}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_quoted_after_the_prefix_and_key_material_is_not() {
        let line = |path: &str| request_line(&Method::GET, &path.parse().unwrap());
        assert_eq!(
            line("/ga/api/v3/eng/domains/abc123"),
            ("GET".into(), "/ga/api/v3/eng/domains/abc123".into())
        );
        let pem_line = "MIICXAIBAAKBgQC7kV0aW1vb3v9Jx2c5GqzDq9l3M4mYtWq0pR2sY";
        assert_eq!(
            line(&format!("/ga/api/v3/eng/dkim_keys/{pem_line}")).1,
            "/ga/api/v3/eng<redacted>"
        );
    }

    #[test]
    fn every_route_is_documented_in_openapi_3_1_with_basic_auth() {
        let (_, doc) = documented_routes().split_for_parts();
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
