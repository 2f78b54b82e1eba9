//! Credentials: Basic (any user, the key as password) or Bearer; anything
//! else is a 401 in the dialect's shape.

use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use signet_domain::{
    CreateKey, DefaultFlag, DomainName, KeyMaterial, KeySize, KeySpec, Origin, Selector,
};
use signet_tests::{spawn_app, TestApp};

use super::{assert_greenarrow_error, assert_mailgun_error, GREENARROW_KEYS, MAILGUN_KEYS};

/// Every way of not presenting a live key.
fn bad_credentials(app: &TestApp, path: &str) -> Vec<(&'static str, RequestBuilder)> {
    let url = app.url(path);
    let c = &app.client;
    vec![
        ("none", c.get(&url)),
        (
            "wrong key",
            c.get(&url).basic_auth("api", Some("sgn_wrong")),
        ),
        ("empty key", c.get(&url).basic_auth("api", Some(""))),
        ("wrong bearer", c.get(&url).bearer_auth("sgn_wrong")),
        ("not base64", c.get(&url).header(AUTHORIZATION, "Basic %%%")),
        (
            "unknown scheme",
            c.get(&url)
                .header(AUTHORIZATION, format!("Token {}", app.api_key)),
        ),
        (
            "key as user name",
            c.get(&url).basic_auth(&app.api_key, None::<&str>),
        ),
    ]
}

async fn assert_401(request: RequestBuilder, case: &str) -> Value {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        challenge.as_deref().is_some_and(|c| c.starts_with("Basic")),
        "{case}: {challenge:?}"
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn mailgun_paths_answer_bad_credentials_with_a_mailgun_401() {
    let app = spawn_app().await;
    for (case, request) in bad_credentials(&app, MAILGUN_KEYS) {
        let body = assert_401(request, case).await;
        assert_mailgun_error(&body);
    }
}

#[tokio::test]
async fn greenarrow_paths_answer_bad_credentials_with_a_greenarrow_401() {
    let app = spawn_app().await;
    for (case, request) in bad_credentials(&app, GREENARROW_KEYS) {
        let body = assert_401(request, case).await;
        assert_greenarrow_error(&body);
        assert_eq!(body["error_code"], "unauthorized", "{case}");
    }
}

#[tokio::test]
async fn basic_with_any_user_and_bearer_are_accepted() {
    let app = spawn_app().await;
    let key = app.api_key.as_str();
    for path in [MAILGUN_KEYS, GREENARROW_KEYS] {
        let url = app.url(path);
        for (case, request) in [
            (
                "mailgun's user",
                app.client.get(&url).basic_auth("api", Some(key)),
            ),
            (
                "another user",
                app.client
                    .get(&url)
                    .basic_auth("admin@example.com", Some(key)),
            ),
            ("bearer", app.client.get(&url).bearer_auth(key)),
        ] {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path} {case}");
        }
    }
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    let app = spawn_app().await;
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let issued = app
        .admin
        .issue_api_key(&tenant, &Origin::cli())
        .await
        .unwrap();
    let key = issued.secret.expose().to_owned();
    let get = || {
        app.client
            .get(app.url(MAILGUN_KEYS))
            .basic_auth("api", Some(&key))
    };
    assert_eq!(get().send().await.unwrap().status(), StatusCode::OK);

    app.admin
        .revoke_api_key(&tenant, &Origin::cli(), issued.id)
        .await
        .unwrap();

    assert_eq!(
        get().send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let ga = app.client.get(app.url(GREENARROW_KEYS)).bearer_auth(&key);
    assert_eq!(ga.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // The tenant's other key is untouched.
    assert_eq!(
        app.get(MAILGUN_KEYS).send().await.unwrap().status(),
        StatusCode::OK
    );
}

/// The JSON body of `GET path` with `key`.
async fn json_as(app: &TestApp, path: &str, key: &str) -> Value {
    let request = app.client.get(app.url(path)).basic_auth("api", Some(key));
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_key_sees_only_its_own_tenants_keys() {
    let app = spawn_app().await;
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let request = CreateKey {
        signing_domain: DomainName::parse("acme.example").unwrap(),
        selector: Selector::parse("s1").unwrap(),
        material: KeyMaterial::Generate(KeySpec::Rsa(KeySize::try_from(1024u32).unwrap())),
        active: true,
        default_for_domain: DefaultFlag::Yes,
    };
    app.core
        .create_key(&tenant, &Origin::cli(), request)
        .await
        .unwrap();
    let other = app.new_tenant("globex").await;

    let count = |key: String| {
        let app = &app;
        async move {
            let mg = json_as(app, MAILGUN_KEYS, &key).await;
            let ga = json_as(app, GREENARROW_KEYS, &key).await;
            (
                mg["items"].as_array().map(Vec::len),
                ga["data"]["dkim_keys"].as_array().map(Vec::len),
            )
        }
    };
    assert_eq!(count(app.api_key.clone()).await, (Some(1), Some(1)));
    assert_eq!(count(other).await, (Some(0), Some(0)));
}
