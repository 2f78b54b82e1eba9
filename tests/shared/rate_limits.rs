//! A token bucket per API key: the budget in headers, 429 with `Retry-After`
//! in each dialect's shape, separate buckets per key, nothing counted for
//! unauthenticated or operational requests, one bucket across nodes on Redis.

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use signet_api::{RateLimit, Settings};
use signet_domain::Origin;
use signet_tests::skip::redis_or_skip;
use signet_tests::{spawn_app_configured, spawn_app_with, AppOptions, TestApp};

/// Requests a key may send before it is limited.
const CAPACITY: u32 = 3;

/// Buckets of [`CAPACITY`] tokens that do not refill during a test (one
/// token every 1000 s).
fn small_buckets(settings: &mut Settings) {
    settings.rate_limit = RateLimit {
        capacity: CAPACITY,
        refill_per_second: 0.001,
    };
}

async fn limited_app() -> TestApp {
    spawn_app_configured(small_buckets).await
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header"))
}

/// Sends a request, asserts its status and the remaining budget it reports.
async fn expect(request: RequestBuilder, status: StatusCode, remaining: u32) -> Response {
    let response = request.send().await.expect("the server answers");
    assert_eq!(response.status(), status);
    assert_eq!(header(&response, "x-ratelimit-limit"), Some("3"));
    assert_eq!(
        header(&response, "x-ratelimit-remaining"),
        Some(remaining.to_string().as_str())
    );
    let reset: u64 = header(&response, "x-ratelimit-reset")
        .expect("a reset header")
        .parse()
        .expect("whole seconds");
    assert!(reset >= 1, "a used bucket takes time to refill");
    response
}

/// Spends a key's whole budget on `path`, then asserts the next request is
/// refused with `Retry-After`, and returns that refusal.
async fn exhaust(app: &TestApp, key: &str, path: &str) -> Response {
    for remaining in (0..CAPACITY).rev() {
        let request = app.client.get(app.url(path)).basic_auth("api", Some(key));
        expect(request, StatusCode::OK, remaining).await;
    }
    let request = app.client.get(app.url(path)).basic_auth("api", Some(key));
    let refused = expect(request, StatusCode::TOO_MANY_REQUESTS, 0).await;
    let retry_after: u64 = header(&refused, "retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");
    assert!((1..=1000).contains(&retry_after), "{retry_after}");
    refused
}

#[tokio::test]
async fn a_key_spends_its_burst_then_gets_429_in_mailguns_shape() {
    let app = limited_app().await;
    let refused = exhaust(&app, &app.api_key, "/v1/dkim/keys").await;
    let body: Value = refused.json().await.unwrap();
    let message = body["message"].as_str().expect("Mailgun's {message}");
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert!(message.starts_with("Too many requests"), "{message}");

    // One bucket for every endpoint and method of both dialects.
    let create = app
        .post("/v1/dkim/keys")
        .form(&[("signing_domain", "example.com"), ("selector", "s1")]);
    expect(create, StatusCode::TOO_MANY_REQUESTS, 0).await;
    let other_dialect = app.get("/ga/api/v3/eng/dkim_keys");
    expect(other_dialect, StatusCode::TOO_MANY_REQUESTS, 0).await;
}

#[tokio::test]
async fn a_key_spends_its_burst_then_gets_429_in_greenarrows_envelope() {
    let app = limited_app().await;
    let refused = exhaust(&app, &app.api_key, "/ga/api/v3/eng/dkim_keys").await;
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error_code"], "invalid_request", "{body}");
    let messages = body["error_messages"].as_array().expect("error_messages");
    assert!(
        messages[0]
            .as_str()
            .unwrap()
            .starts_with("Too many requests"),
        "{body}"
    );
}

#[tokio::test]
async fn each_api_key_has_its_own_bucket() {
    let app = limited_app().await;
    exhaust(&app, &app.api_key, "/v1/dkim/keys").await;

    let globex = app.new_tenant("globex").await;
    let request = app
        .client
        .get(app.url("/v1/dkim/keys"))
        .basic_auth("api", Some(&globex));
    expect(request, StatusCode::OK, CAPACITY - 1).await;

    let acme = app.admin.tenant(&app.tenant).await.unwrap();
    let second = app
        .admin
        .issue_api_key(&acme, &Origin::cli())
        .await
        .unwrap();
    let request = app
        .client
        .get(app.url("/v1/dkim/keys"))
        .bearer_auth(second.secret.expose());
    expect(request, StatusCode::OK, CAPACITY - 1).await;
}

#[tokio::test]
async fn unauthenticated_and_operational_requests_are_not_counted() {
    let app = limited_app().await;
    for _ in 0..5 {
        for request in [
            app.client.get(app.url("/v1/dkim/keys")),
            app.client
                .get(app.url("/v1/dkim/keys"))
                .basic_auth("api", Some("sgn_wrong")),
            app.client.get(app.url("/ga/api/v3/eng/dkim_keys")),
        ] {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(header(&response, "x-ratelimit-remaining"), None);
        }
        for path in ["/healthz", "/readyz", "/metrics", "/openapi/mailgun.json"] {
            let response = app.get(path).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&response, "x-ratelimit-remaining"), None, "{path}");
        }
    }
    expect(app.get("/v1/dkim/keys"), StatusCode::OK, CAPACITY - 1).await;
}

#[tokio::test]
async fn a_capacity_of_zero_turns_rate_limits_off() {
    let app = spawn_app_configured(|s| s.rate_limit.capacity = 0).await;
    for _ in 0..CAPACITY + 2 {
        let response = app.get("/v1/dkim/keys").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn two_nodes_on_one_redis_count_against_one_bucket() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    let app = spawn_app_with(AppOptions {
        configure: Some(small_buckets),
        redis: Some(redis),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    let on = |base: &str| {
        app.client
            .get(format!("{base}/v1/dkim/keys"))
            .basic_auth("api", Some(&app.api_key))
    };

    expect(on(&app.base_url), StatusCode::OK, 2).await;
    expect(on(&node.base_url), StatusCode::OK, 1).await;
    expect(on(&app.base_url), StatusCode::OK, 0).await;
    expect(on(&node.base_url), StatusCode::TOO_MANY_REQUESTS, 0).await;
    expect(on(&app.base_url), StatusCode::TOO_MANY_REQUESTS, 0).await;
}
