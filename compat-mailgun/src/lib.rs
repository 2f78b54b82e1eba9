//! The Mailgun dialect: Mailgun's Domain Keys API (`/v1/dkim/keys`,
//! `/v4/domains/{authority}/keys/...`) and the domain endpoints it needs
//! (`/v4/domains`, `/v3/domains/...`), on Signet's core. Every answer under
//! `/v1/`, `/v3/` and `/v4/`, errors included, has Mailgun's shape.

mod dkim_management;
mod domain_dkim;
mod domain_keys;
mod domains;
mod error;
mod extract;
mod keys;
mod openapi;
mod paging;
mod wire;
mod zone;

use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::any;
use signet_domain::Signet;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::error::MailgunError;

/// Options of this dialect.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Build absolute URLs from `X-Forwarded-Proto`/`X-Forwarded-Host`.
    pub trust_forwarded_headers: bool,
}

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    core: Signet,
    config: Config,
}

/// The dialect's routes (absolute paths) and their OpenAPI document.
pub fn router(core: Signet, config: Config) -> (axum::Router, utoipa::openapi::OpenApi) {
    let (routes, openapi) = routes();
    (routes.with_state(AppState { core, config }), openapi)
}

/// Every route, before the state is applied.
fn routes() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut openapi) = OpenApiRouter::with_openapi(openapi::MailgunDoc::openapi())
        .merge(keys::routes())
        .merge(domain_keys::routes())
        .merge(domains::routes())
        .merge(domain_dkim::routes())
        .merge(zone::routes())
        .merge(dkim_management::routes())
        .split_for_parts();
    openapi::finish(&mut openapi);
    let routes = routes
        .route("/v1/{*rest}", any(no_route))
        .route("/v3/{*rest}", any(no_route))
        .route("/v4/{*rest}", any(no_route))
        .method_not_allowed_fallback(method_not_allowed);
    (routes, openapi)
}

/// An error response in this dialect's shape, for the api's own layers
/// (413 body too large, 408 timeout, 429 rate limited, 503 unavailable).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    MailgunError::from_status(status, message.to_owned()).into_response()
}

/// This dialect's 404, for the dialect's own unknown paths and the api's.
pub fn not_found_response() -> Response {
    MailgunError::not_found().into_response()
}

/// This dialect's 405, for the dialect's own routes and the api's.
pub fn method_not_allowed_response() -> Response {
    MailgunError::method_not_allowed().into_response()
}

async fn no_route() -> Response {
    not_found_response()
}

async fn method_not_allowed() -> Response {
    method_not_allowed_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_basic_auth() {
        let (_, openapi) = routes();
        let json = serde_json::to_value(&openapi).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        let paths = json["paths"].as_object().unwrap();
        let expected = [
            ("/v1/dkim/keys", vec!["get", "post", "delete"]),
            ("/v1/dkim/zone", vec!["get"]),
            ("/v4/domains/{authority_name}/keys", vec!["get"]),
            (
                "/v4/domains/{authority_name}/keys/{selector}/activate",
                vec!["put"],
            ),
            (
                "/v4/domains/{authority_name}/keys/{selector}/deactivate",
                vec!["put"],
            ),
            ("/v4/domains", vec!["get", "post"]),
            ("/v3/domains", vec!["get", "post"]),
            ("/v4/domains/{name}", vec!["get"]),
            ("/v3/domains/{name}", vec!["get", "delete"]),
            ("/v3/domains/{name}/dkim_authority", vec!["put"]),
            ("/v3/domains/{name}/dkim_selector", vec!["put"]),
            ("/v4/domains/{name}/verify", vec!["put"]),
            ("/v3/domains/{name}/verify", vec!["put"]),
            (
                "/v1/dkim_management/domains/{name}/rotation",
                vec!["get", "put"],
            ),
            ("/v1/dkim_management/domains/{name}/rotate", vec!["post"]),
        ];
        assert_eq!(paths.len(), expected.len());
        for (path, methods) in expected {
            for method in methods {
                let op = &paths[path][method];
                assert_eq!(
                    op["security"][0]["basicAuth"],
                    serde_json::json!([]),
                    "{method} {path}"
                );
            }
        }
        assert_eq!(
            json["components"]["securitySchemes"]["basicAuth"]["scheme"],
            "basic"
        );
    }

    #[test]
    fn every_operation_declares_every_error_status_in_mailgun_shape() {
        let (_, openapi) = routes();
        let json = serde_json::to_value(&openapi).unwrap();
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for status in [
                    "400", "401", "403", "404", "405", "408", "413", "429", "500", "503",
                ] {
                    assert!(
                        op["responses"][status].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
        }
        let limited = &json["components"]["responses"]["TooManyRequests"];
        for header in [
            "Retry-After",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
        ] {
            assert!(limited["headers"][header].is_object(), "{header}");
        }
        assert!(
            json["components"]["responses"]["Unavailable"]["headers"]["Retry-After"].is_object()
        );
    }

    #[test]
    fn request_bodies_are_forms_as_mailgun_declares_them() {
        let (_, openapi) = routes();
        let json = serde_json::to_value(&openapi).unwrap();
        let content = &json["paths"]["/v1/dkim/keys"]["post"]["requestBody"]["content"];
        assert_eq!(content.as_object().unwrap().len(), 1, "one content type");
        assert!(content["multipart/form-data"].is_object());
        for method in ["get", "delete"] {
            assert!(json["paths"]["/v1/dkim/keys"][method]["requestBody"].is_null());
        }
        let form = &json["components"]["schemas"]["CreateKeyForm"];
        assert_eq!(
            form["required"],
            serde_json::json!(["signing_domain", "selector"])
        );
        let authority = &json["components"]["schemas"]["DkimAuthorityForm"];
        assert!(authority["properties"]["self"].is_object());
    }
}
