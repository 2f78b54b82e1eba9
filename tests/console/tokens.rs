//! Every way a console token is refused, and the line between console
//! tokens and dialect API keys.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{
    claims, json_of, now, problem, spawn_console, spawn_console_refetching_after, SigningKey,
};

/// The claims with `edit` applied.
fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut claims = claims(Some("acme"), "admin");
    edit(&mut claims);
    claims
}

#[tokio::test]
async fn a_valid_idp_token_says_who_it_names() {
    let console = spawn_console().await;
    let (status, me) = json_of(
        console
            .call(Method::GET, "/console/v1/me", &console.token("owner"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me,
        json!({"subject": "alice@example.com", "tenant": "acme", "role": "owner"})
    );
    let (_, me) = json_of(
        console
            .call(Method::GET, "/console/v1/me", &console.operator())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["role"], "operator");
    assert_eq!(me["tenant"], Value::Null);
}

#[tokio::test]
async fn every_bad_token_is_401_problem_json() {
    let console = spawn_console().await;
    let key = &console.key;
    let stranger = SigningKey::generate(&console.key.kid);
    let unknown_kid = SigningKey::generate("never-published");
    let hs256_with_public_key = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(
            &header,
            &claims(Some("acme"), "admin"),
            &EncodingKey::from_secret(&key.public_der()),
        )
        .unwrap()
    };
    let alg_none = {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": key.kid}).to_string());
        let body = URL_SAFE_NO_PAD.encode(claims(Some("acme"), "admin").to_string());
        format!("{header}.{body}.")
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            key.sign(&edited(|c| c["exp"] = json!(now() - 120))),
        ),
        (
            "not yet valid",
            key.sign(&edited(|c| c["nbf"] = json!(now() + 120))),
        ),
        (
            "wrong issuer",
            key.sign(&edited(|c| c["iss"] = json!("https://evil.test/"))),
        ),
        (
            "wrong audience",
            key.sign(&edited(|c| c["aud"] = json!("another-app"))),
        ),
        (
            "no exp",
            key.sign(&edited(|c| drop(c.as_object_mut().unwrap().remove("exp")))),
        ),
        (
            "no nbf",
            key.sign(&edited(|c| drop(c.as_object_mut().unwrap().remove("nbf")))),
        ),
        (
            "no sub",
            key.sign(&edited(|c| drop(c.as_object_mut().unwrap().remove("sub")))),
        ),
        ("alg none", alg_none),
        ("HS256 keyed with the public key", hs256_with_public_key),
        (
            "unknown kid",
            unknown_kid.sign(&claims(Some("acme"), "admin")),
        ),
        (
            "a stranger's key under the IdP's kid",
            stranger.sign(&claims(Some("acme"), "admin")),
        ),
        ("unknown tenant", key.sign(&claims(Some("nobody"), "admin"))),
        ("unknown role", key.sign(&claims(Some("acme"), "superuser"))),
        (
            "operator with a tenant",
            key.sign(&claims(Some("acme"), "operator")),
        ),
        ("member without a tenant", key.sign(&claims(None, "admin"))),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (what, token) in cases {
        let response = console
            .call(Method::GET, "/console/v1/me", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        let detail = problem(response, StatusCode::UNAUTHORIZED).await;
        assert!(!detail.contains(&token), "{what}: the token is echoed");
    }
    let response = console
        .app
        .client
        .get(console.app.url("/console/v1/me"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_token_within_the_leeway_is_still_accepted() {
    let console = spawn_console().await;
    let token = console.key.sign(&edited(|c| c["exp"] = json!(now() - 10)));
    let response = console
        .call(Method::GET, "/console/v1/me", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_keys_and_console_tokens_do_not_cross() {
    let console = spawn_console().await;
    let app = &console.app;
    let api_key_on_console = app
        .client
        .get(app.url("/console/v1/keys"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    problem(api_key_on_console, StatusCode::UNAUTHORIZED).await;
    let basic_on_console = app.get("/console/v1/keys").send().await.unwrap();
    problem(basic_on_console, StatusCode::UNAUTHORIZED).await;

    let token = console.token("owner");
    for path in ["/v3/domains", "/ga/api/v3/eng/dkim_keys"] {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn a_rotated_idp_key_is_fetched_and_unknown_kids_are_rate_limited() {
    let console = spawn_console_refetching_after(Duration::from_secs(1)).await;
    assert_eq!(console.jwks.fetches(), 1, "fetched once at start");
    let rotated = SigningKey::generate("idp-key-2");
    console
        .jwks
        .set(json!({"keys": [console.key.jwk(), rotated.jwk()]}));
    let token = rotated.sign(&claims(Some("acme"), "viewer"));
    signet_testkit::eventually(Duration::from_secs(5), "the new kid is fetched", || async {
        let status = console
            .call(Method::GET, "/console/v1/me", &token)
            .send()
            .await
            .unwrap()
            .status();
        (status == StatusCode::OK).then_some(())
    })
    .await;
    let after_rotation = console.jwks.fetches();
    assert!(after_rotation >= 2, "{after_rotation}");

    // A flood of unknown kids at once costs at most one fetch per
    // refetch interval (1 s here).
    let started = std::time::Instant::now();
    let flood = (0..40).map(|i| {
        let token = console
            .key
            .with_kid(&format!("unknown-{i}"))
            .sign(&claims(Some("acme"), "viewer"));
        let request = console.call(Method::GET, "/console/v1/me", &token);
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(flood).await;
    let seconds = started.elapsed().as_secs() as usize;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    let fetched = console.jwks.fetches() - after_rotation;
    assert!(
        fetched <= 1 + seconds,
        "{fetched} fetches for 40 unknown kids in {seconds} s"
    );
    // The rotated key still works from the cache.
    assert_eq!(
        console
            .call(Method::GET, "/console/v1/me", &token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
