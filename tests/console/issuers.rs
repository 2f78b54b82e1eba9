//! Signet's own issuer: tokens signed with a key derived from the master
//! key, accepted beside the IdP's, with their JWKS served in public.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use signet_api::startup::open_storage;
use signet_console::{BuiltInIssuer, Grant, Role};

use super::{json_of, problem, spawn_console};
use signet_tests::{spawn_app, TestApp};

/// The issuer every node of `app` derives from its master key.
async fn issuer_of(app: &TestApp) -> BuiltInIssuer {
    let storage = open_storage(&app.settings).await.unwrap();
    BuiltInIssuer::of(|purpose| storage.derive_secret(purpose))
}

fn grant(tenant: Option<&str>, role: Role) -> Grant {
    Grant {
        subject: "ops@example.com".into(),
        tenant: tenant.map(Into::into),
        role,
    }
}

#[tokio::test]
async fn a_built_in_token_works_without_an_idp_and_its_jwks_is_public() {
    let app = spawn_app().await;
    let issuer = issuer_of(&app).await;
    let token = issuer
        .mint(&grant(Some("acme"), Role::Viewer), Duration::from_secs(60))
        .unwrap();
    let (status, me) = json_of(
        app.client
            .get(app.url("/console/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me,
        json!({"subject": "ops@example.com", "tenant": "acme", "role": "viewer"})
    );
    let (status, jwks) = json_of(
        app.client
            .get(app.url("/console/v1/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwks, issuer.jwks());
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert!(jwks["keys"][0].get("d").is_none());
}

#[tokio::test]
async fn built_in_tokens_are_accepted_beside_the_idps_and_another_masters_are_not() {
    let console = spawn_console().await;
    let issuer = issuer_of(&console.app).await;
    let operator = issuer
        .mint(&grant(None, Role::Operator), Duration::from_secs(60))
        .unwrap();
    let response = console
        .call(Method::GET, "/console/v1/tenants", &operator)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let idp = console
        .call(Method::GET, "/console/v1/me", &console.token("viewer"))
        .send()
        .await
        .unwrap();
    assert_eq!(idp.status(), StatusCode::OK);
    // A token from another master key's issuer is refused.
    let other = spawn_app().await;
    let foreign = issuer_of(&other)
        .await
        .mint(&grant(Some("acme"), Role::Owner), Duration::from_secs(60))
        .unwrap();
    let response = console
        .call(Method::GET, "/console/v1/me", &foreign)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
}
