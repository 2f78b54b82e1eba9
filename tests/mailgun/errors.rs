//! Every failure answers in Mailgun's shape: credentials, the on-behalf-of
//! header, unknown routes and methods, malformed bodies, outages.

use std::time::Duration;

use reqwest::header::{ALLOW, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::Method;
use serde_json::json;
use signet_tests::dialect::{send, Reply};
use signet_tests::skip;
use signet_tests::{
    postgres_url, spawn_app, spawn_app_configured, spawn_app_with, AppOptions, Backend,
};

/// One request to each route, with no parameters.
const ROUTES: [(&str, &str); 14] = [
    ("GET", "/v1/dkim/keys"),
    ("POST", "/v1/dkim/keys"),
    ("DELETE", "/v1/dkim/keys"),
    ("GET", "/v4/domains/example.com/keys"),
    ("PUT", "/v4/domains/example.com/keys/s1/activate"),
    ("PUT", "/v4/domains/example.com/keys/s1/deactivate"),
    ("GET", "/v4/domains"),
    ("POST", "/v4/domains"),
    ("GET", "/v4/domains/example.com"),
    ("DELETE", "/v3/domains/example.com"),
    ("PUT", "/v3/domains/example.com/dkim_authority"),
    ("PUT", "/v3/domains/example.com/dkim_selector"),
    ("PUT", "/v4/domains/example.com/verify"),
    ("GET", "/v3/domains"),
];

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap()
}

#[track_caller]
fn assert_unauthorized(answer: Reply, what: &str) {
    assert_eq!(
        answer
            .headers
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap()),
        Some("Basic realm=\"signet\""),
        "{what}"
    );
    answer.expect_error(401, "Invalid private key");
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_mailguns_401_everywhere() {
    let app = spawn_app().await;
    let wrong = app.mailgun_as("sgn_not-a-key");
    for (verb, path) in ROUTES {
        let anonymous = app.client.request(method(verb), app.url(path));
        assert_unauthorized(send(anonymous).await, path);
        assert_unauthorized(send(wrong.request(method(verb), path)).await, path);
    }
    // Credentials are checked before parameters.
    let bad_params = wrong.request(Method::GET, "/v1/dkim/keys?limit=x&page=%%%");
    assert_unauthorized(send(bad_params).await, "bad params");
}

#[tokio::test]
async fn bearer_credentials_work_too() {
    let app = spawn_app().await;
    let request = app
        .client
        .get(app.url("/v1/dkim/keys"))
        .bearer_auth(&app.api_key);
    send(request).await.expect(200);
}

#[tokio::test]
async fn acting_on_behalf_of_another_account_is_forbidden() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let own = mg
        .request(Method::GET, "/v1/dkim/keys")
        .header("X-Mailgun-On-Behalf-Of", app.tenant.as_str());
    send(own).await.expect(200);
    for other in ["someone-else", ""] {
        let request = mg
            .request(Method::POST, "/v1/dkim/keys")
            .header("X-Mailgun-On-Behalf-Of", other)
            .form(&[
                ("signing_domain", "example.com"),
                ("selector", "s1"),
                ("bits", "1024"),
            ]);
        send(request)
            .await
            .expect_error_containing(403, "X-Mailgun-On-Behalf-Of");
    }
    assert!(mg.selectors_of("example.com").await.is_empty());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for path in [
        "/v1/dkim/nothing",
        "/v3/unknown",
        "/v4/domains/a/b/c/d/e",
        "/v1/dkim/keys/",
    ] {
        send(mg.request(Method::GET, path))
            .await
            .expect_error(404, "Not Found");
    }
    for (verb, path) in [
        ("PATCH", "/v1/dkim/keys"),
        ("GET", "/v4/domains/example.com/keys/s1/activate"),
        ("POST", "/v4/domains/example.com"),
        ("DELETE", "/v4/domains/example.com/verify"),
    ] {
        let answer = send(mg.request(method(verb), path)).await;
        assert!(answer.headers.contains_key(ALLOW), "{verb} {path}");
        answer.expect_error(405, "Method Not Allowed");
    }
}

#[tokio::test]
async fn malformed_bodies_get_a_400_in_mailguns_shape() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let cases: [(&str, &[u8], &str); 6] = [
        (
            "multipart/form-data",
            b"--x\r\n",
            "malformed multipart body",
        ),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            "malformed multipart body",
        ),
        (
            "application/json",
            b"{\"signing_domain\": ",
            "malformed JSON body",
        ),
        (
            "application/json",
            b"[1, 2]",
            "a JSON body must be an object",
        ),
        (
            "application/json",
            b"{\"selector\": [\"s1\"]}",
            "selector must be a string, number or boolean",
        ),
        (
            "text/plain",
            b"signing_domain=example.com",
            "unsupported Content-Type text/plain",
        ),
    ];
    for (content_type, body, message) in cases {
        let request = mg
            .request(Method::POST, "/v1/dkim/keys")
            .header(CONTENT_TYPE, content_type)
            .body(body.to_vec());
        send(request).await.expect_error_containing(400, message);
    }
    let invalid_utf8 = mg
        .request(Method::POST, "/v1/dkim/keys")
        .header(CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(b"--x\r\nContent-Disposition: form-data; name=\"selector\"\r\n\r\n\xff\xfe\r\n--x--\r\n".to_vec());
    send(invalid_utf8)
        .await
        .expect_error(400, "selector must be UTF-8 text");
}

#[tokio::test]
async fn a_json_object_body_is_read_like_a_form() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let request = mg.request(Method::POST, "/v1/dkim/keys").json(&json!({
        "signing_domain": "example.com",
        "selector": "s1",
        "bits": 1024,
        "pem": null
    }));
    let body = send(request).await.expect(200);
    assert_eq!(body["selector"], "s1");
}

#[tokio::test]
async fn values_of_the_wrong_type_get_a_400() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for (path, message) in [
        ("/v1/dkim/keys?limit=ten", "limit must be an integer"),
        ("/v1/dkim/keys?limit=-3", "limit must not be negative"),
        ("/v1/dkim/keys?page=not-a-token", "page must be a token"),
        ("/v4/domains?skip=x", "skip must be an integer"),
    ] {
        send(mg.request(Method::GET, path))
            .await
            .expect_error_containing(400, message);
    }
}

#[tokio::test]
async fn an_oversized_body_gets_a_413_in_mailguns_shape() {
    let app = spawn_app_configured(|settings| settings.limits.body_limit = 4096).await;
    let mg = app.mailgun();
    let big = "x".repeat(64 * 1024);
    let request = mg.request(Method::POST, "/v1/dkim/keys").form(&[
        ("signing_domain", "example.com"),
        ("selector", "s1"),
        ("pem", big.as_str()),
    ]);
    let answer = send(request).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body["message"].is_string(), "{}", answer.body);
}

#[tokio::test]
async fn an_outage_of_the_database_gets_a_503_in_mailguns_shape() {
    if postgres_url().is_none() {
        skip("SIGNET_TEST_POSTGRES_URL is not set");
        return;
    }
    // Every read checks its tenant's key version, so none is answered from
    // the read model of the keys (which would for up to 750 ms).
    let app = spawn_app_with(AppOptions {
        backend: Backend::Postgres,
        configure: Some(|settings| settings.key_cache.max_unverified = Duration::ZERO),
        ..AppOptions::default()
    })
    .await;
    let mg = app.mailgun();
    mg.list_keys(&[]).await.expect(200);
    app.drop_database().await;
    let answer = mg.list_keys(&[]).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.body.as_object().map(|o| o.len()), Some(1));
    assert!(answer.body["message"].is_string());
}
