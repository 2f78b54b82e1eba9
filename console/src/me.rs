//! Who the token names, and the built-in issuer's public keys.

use axum::extract::State;
use axum::Json;

use super::auth::Principal;
use super::ConsoleState;
use crate::wire::me::Me;

/// Who am I?
///
/// Any valid console token; says which tenant and role it carries.
#[utoipa::path(
    get,
    path = "/console/v1/me",
    tag = "Session",
    responses((status = 200, description = "The token's subject, tenant and role", body = Me))
)]
pub async fn me(principal: Principal) -> Json<Me> {
    Json(match principal {
        Principal::Member(m) => Me {
            subject: m.subject,
            tenant: Some(m.tenant.name.to_string()),
            role: m.role.as_str().to_owned(),
        },
        Principal::Operator { subject } => Me {
            subject,
            tenant: None,
            role: "operator".to_owned(),
        },
    })
}

/// The built-in issuer's public keys.
///
/// A JWKS with the Ed25519 key that verifies tokens from `signet console
/// token`. Public: no token needed.
#[utoipa::path(
    get,
    path = "/console/v1/.well-known/jwks.json",
    tag = "Session",
    security(()),
    responses((status = 200, description = "A JWKS with one OKP (Ed25519) key", body = Object))
)]
pub async fn jwks(State(state): State<ConsoleState>) -> Json<serde_json::Value> {
    Json(state.verifier.builtin().jwks())
}
