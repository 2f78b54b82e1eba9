//! Every rejection under `/ga/api/v3/eng/`, axum's own included, comes back
//! in GreenArrow's envelope with a Studio error code.

use reqwest::header::{ALLOW, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::Method;
use serde_json::json;
use signet_tests::dialect::greenarrow::KEYS;
use signet_tests::dialect::send;
use signet_tests::fixtures::keys;
use signet_tests::spawn_app;

#[tokio::test]
async fn malformed_json_is_an_invalid_request() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let id = ga.import("example.com", "s1", &keys().await[0].pkcs1).await;
    for body in [
        "{",
        "not json",
        "{\"dkim_key\": {\"domain\": \"example.com\",}}",
        "",
    ] {
        for (method, path) in [
            (Method::POST, KEYS.to_owned()),
            (Method::PUT, format!("{KEYS}/{id}")),
        ] {
            let reply = send(
                ga.request(method.clone(), &path)
                    .header(CONTENT_TYPE, "application/json")
                    .body(body),
            )
            .await;
            reply.invalid_request();
        }
    }
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_invalid_requests() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    for fields in [
        json!({ "domain": "example.com", "selector": "s1", "key": { "bits": "1024" } }),
        json!({ "domain": "example.com", "selector": "s1", "key": { "bits": 1024.5 } }),
        json!({ "domain": 5, "selector": "s1", "key": { "bits": 1024 } }),
        json!({ "domain": "example.com", "selector": ["s1"], "key": { "bits": 1024 } }),
        json!({ "domain": "example.com", "selector": "s1", "default_for_domain": "yes", "key": { "bits": 1024 } }),
        json!({ "domain": "example.com", "selector": "s1", "key": "1024" }),
        json!({ "domain": "example.com", "selector": "s1", "colour": "red", "key": { "bits": 1024 } }),
        json!({ "domain": "example.com", "selector": "s1", "key": { "bits": 1024, "size": 1 } }),
        json!("a string"),
        json!(null),
    ] {
        let messages = ga.create(fields.clone()).await.invalid_request();
        assert!(!messages[0].is_empty(), "{fields}");
    }
    for body in [
        json!({}),
        json!({ "dkim_keys": {} }),
        json!([]),
        json!({ "dkim_key": {}, "extra": 1 }),
    ] {
        send(ga.request(Method::POST, KEYS).json(&body))
            .await
            .invalid_request();
    }
    assert!(ga.ids("").await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_body_not_sent_as_json_is_refused_in_the_envelope() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let body = json!({ "dkim_key": { "domain": "example.com", "selector": "s1", "key": { "bits": 1024 } } });
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = ga.request(Method::POST, KEYS).body(body.to_string());
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let messages = send(request).await.error(415, "invalid_request");
        assert!(messages[0].contains("application/json"), "{messages:?}");
    }
    // No body at all.
    send(ga.request(Method::POST, KEYS))
        .await
        .error(415, "invalid_request");
    assert!(ga.ids("").await.is_empty());
}

#[tokio::test]
async fn unknown_routes_under_the_prefix_are_not_found() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    for path in [
        "/ga/api/v3/eng",
        "/ga/api/v3/eng/",
        "/ga/api/v3/eng/nope",
        "/ga/api/v3/eng/dkim_keys/1/extra",
        "/ga/api/v3/eng/dkim_keys/",
    ] {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            send(ga.request(method.clone(), path))
                .await
                .error(404, "not_found");
        }
    }
}

#[tokio::test]
async fn a_wrong_method_is_refused_in_the_envelope_with_allow() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    for (method, path, allowed) in [
        (
            Method::PATCH,
            format!("{KEYS}/1"),
            ["DELETE", "GET", "HEAD", "PUT"].as_slice(),
        ),
        (
            Method::POST,
            format!("{KEYS}/1"),
            ["DELETE", "GET", "HEAD", "PUT"].as_slice(),
        ),
        (
            Method::DELETE,
            KEYS.to_owned(),
            ["GET", "HEAD", "POST"].as_slice(),
        ),
        (
            Method::PUT,
            KEYS.to_owned(),
            ["GET", "HEAD", "POST"].as_slice(),
        ),
    ] {
        let reply = send(ga.request(method.clone(), &path)).await;
        reply.error(405, "invalid_request");
        let allow = reply
            .headers
            .get(ALLOW)
            .expect("an Allow header")
            .to_str()
            .unwrap();
        let mut listed: Vec<&str> = allow.split(',').map(str::trim).collect();
        listed.sort_unstable();
        assert_eq!(listed, allowed, "{method} {path}");
    }
}

#[tokio::test]
async fn bad_credentials_are_unauthorized_with_a_basic_challenge() {
    let app = spawn_app().await;
    let key_path = format!("{KEYS}/1");
    let requests = [
        (Method::GET, KEYS),
        (Method::POST, KEYS),
        (Method::GET, key_path.as_str()),
        (Method::PUT, key_path.as_str()),
        (Method::DELETE, key_path.as_str()),
    ];
    for (method, path) in requests {
        let url = app.url(path);
        let attempts = [
            app.client.request(method.clone(), &url),
            app.client
                .request(method.clone(), &url)
                .basic_auth("api", Some("sgn_wrong")),
            app.client
                .request(method.clone(), &url)
                .bearer_auth("sgn_wrong"),
            app.client
                .request(method.clone(), &url)
                .header("Authorization", "Token x"),
        ];
        for request in attempts {
            // A malformed body must not be judged before the credentials.
            let reply = send(request.header(CONTENT_TYPE, "application/json").body("{")).await;
            let messages = reply.error(401, "unauthorized");
            assert!(!messages[0].is_empty());
            let challenge = reply.headers.get(WWW_AUTHENTICATE).expect("a challenge");
            assert_eq!(challenge, "Basic realm=\"signet\"", "{method} {path}");
        }
    }
}

#[tokio::test]
async fn a_bearer_token_works_like_basic_credentials() {
    let app = spawn_app().await;
    let reply = send(app.client.get(app.url(KEYS)).bearer_auth(&app.api_key)).await;
    let data = reply.ok();
    assert_eq!(data["pagination"]["num_records"], 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_in_the_envelope() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let huge = format!(
        "{{\"dkim_key\": {{\"domain\": \"example.com\", \"selector\": \"{}\"}}}}",
        "s".repeat(2 * 1024 * 1024)
    );
    let reply = send(
        ga.request(Method::POST, KEYS)
            .header(CONTENT_TYPE, "application/json")
            .body(huge),
    )
    .await;
    reply.error(413, "invalid_request");
}
