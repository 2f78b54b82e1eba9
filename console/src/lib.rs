//! The console API under `/console/v1/`: what a web console's backend calls
//! for people signed in to an identity provider. Bearer JWTs only (see
//! [`auth`]); errors are `application/problem+json` (see [`error`]).
//! The calls into the core sit in the resource modules' handlers.

mod api_keys;
mod audit;
pub mod auth;
mod domains;
pub mod error;
pub mod extract;
mod fleets;
pub mod issuer;
pub mod jwks;
mod keys;
mod me;
mod openapi;
mod publishers;
mod role;
mod settings;
mod tenants;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use signet_domain::{Admin, Signet};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::Verifier;
pub use issuer::{BuiltInIssuer, Grant};
pub use jwks::ConsoleIdp;
pub use role::Role;

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// The tenant use cases.
    pub core: Signet,
    /// Tenant administration: API keys, settings, tenants.
    pub admin: Admin,
    /// Checks tokens.
    pub verifier: Arc<Verifier>,
}

/// The console's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The external identity provider, if one is configured.
    pub idp: Option<ConsoleIdp>,
    /// How soon the IdP's keys may be fetched again for an unknown key id.
    pub jwks_refetch_interval: Duration,
}

impl ConsoleState {
    /// The console's state: tokens from `issuer` and from the IdP of
    /// `config`, whose keys are fetched first (an unreachable IdP does not
    /// stop it).
    pub async fn start(
        core: Signet,
        admin: Admin,
        issuer: BuiltInIssuer,
        config: Config,
    ) -> anyhow::Result<Self> {
        let idp = match config.idp {
            Some(idp) => Some(jwks::IdpKeys::start(idp, config.jwks_refetch_interval).await?),
            None => None,
        };
        Ok(Self {
            core,
            admin,
            verifier: Arc::new(Verifier::new(issuer, idp)),
        })
    }
}

/// The console's routes (absolute paths) and their OpenAPI document.
pub fn router(state: ConsoleState) -> (axum::Router, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = documented_routes().split_for_parts();
    openapi::complete(&mut doc);
    let router = routes.with_state(state);
    (router, doc)
}

fn documented_routes() -> OpenApiRouter<ConsoleState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(me::me))
        .routes(routes!(me::jwks))
        .routes(routes!(keys::list_keys, keys::create_key))
        .routes(routes!(keys::delete_key))
        .routes(routes!(keys::verify_key))
        .routes(routes!(domains::list_domains))
        .routes(routes!(
            publishers::get_publisher,
            publishers::set_publisher,
            publishers::delete_publisher
        ))
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(api_keys::revoke_api_key))
        .routes(routes!(fleets::list_fleets, fleets::create_fleet))
        .routes(routes!(fleets::revoke_fleet))
        .routes(routes!(settings::get_settings, settings::update_settings))
        .routes(routes!(audit::list_events))
        .routes(routes!(tenants::list_tenants, tenants::create_tenant))
}

/// `None` for an absent or empty query parameter: generated clients send
/// `?cursor=` for no cursor.
fn nonempty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_bearer_auth_and_problem_errors() {
        let (_, doc) = documented_routes().split_for_parts();
        let json = serde_json::to_value(&doc).unwrap();
        let paths = &json["paths"];
        for (path, methods) in [
            ("/console/v1/me", &["get"][..]),
            ("/console/v1/keys", &["get", "post"]),
            ("/console/v1/keys/{id}", &["delete"]),
            ("/console/v1/keys/{id}/verify", &["post"]),
            ("/console/v1/domains", &["get"]),
            (
                "/console/v1/domains/{name}/publisher",
                &["get", "put", "delete"],
            ),
            ("/console/v1/api-keys", &["get", "post"]),
            ("/console/v1/api-keys/{id}", &["delete"]),
            ("/console/v1/fleets", &["get", "post"]),
            ("/console/v1/fleets/{name}", &["delete"]),
            ("/console/v1/settings", &["get", "patch"]),
            ("/console/v1/audit", &["get"]),
            ("/console/v1/tenants", &["get", "post"]),
        ] {
            for method in methods {
                assert!(paths[path][method].is_object(), "{method} {path}");
            }
        }
        assert_eq!(
            json["components"]["securitySchemes"]["bearerAuth"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn the_audit_filter_documents_every_audited_action_and_nothing_else() {
        let (_, doc) = documented_routes().split_for_parts();
        let json = serde_json::to_value(&doc).unwrap();
        let parameters = json["paths"]["/console/v1/audit"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let action = parameters.iter().find(|p| p["name"] == "action").unwrap();
        let names: Vec<String> = signet_domain::Action::ALL
            .iter()
            .map(|a| a.as_str().replace('.', r"\."))
            .collect();
        assert_eq!(
            action["schema"]["pattern"],
            format!("^(?:{})?$", names.join("|"))
        );
    }
}
