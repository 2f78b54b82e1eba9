//! What the console revokes or changes on one node holds on another within a
//! second, with no Redis to announce it: an API key, a fleet's token and the
//! tenant's settings. Both nodes share one SQLite file, as two servers of a
//! small installation would.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use signet_tests::fixtures::keys;
use tokio::time::Instant;

use super::{json_of, spawn_console};
use crate::fleet::poll_at;

/// The bound on a change reaching every node.
const BOUND: Duration = Duration::from_secs(1);
/// How long the test keeps looking, so a miss reports how late it was.
const PATIENCE: Duration = Duration::from_secs(5);

/// How long after `since` `poll` first answered what `wanted` accepts.
async fn first<F, Fut>(since: Instant, what: &str, poll: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        let sent = Instant::now();
        if poll().await {
            let delay = sent - since;
            eprintln!("{what}: {delay:?}");
            assert!(delay < BOUND, "{what}: {delay:?}");
            return delay;
        }
        assert!(sent - since < PATIENCE, "{what}: not within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_revocations_and_settings_hold_on_another_node_within_a_second_without_redis() {
    let console = spawn_console().await;
    let app = &console.app;
    let node = app.spawn_node().await;
    let (admin, owner) = (console.token("admin"), console.token("owner"));
    let client = reqwest::Client::new();
    let status_on_node = |path: &str, key: &str| {
        client
            .get(format!("{}{path}", node.base_url))
            .basic_auth("api", Some(key.to_owned()))
            .send()
    };

    // An API key issued and revoked in the console of the first node.
    let issued = console
        .call(Method::POST, "/console/v1/api-keys", &admin)
        .json(&json!({"label": "relay"}))
        .send()
        .await
        .unwrap();
    let (status, issued) = json_of(issued).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let secret = issued["api_key"].as_str().unwrap().to_owned();
    let works = status_on_node("/v3/domains", &secret).await.unwrap();
    assert_eq!(works.status(), StatusCode::OK, "cached on the other node");
    let since = Instant::now();
    let path = format!("/console/v1/api-keys/{}", issued["id"]);
    let revoked = console.call(Method::DELETE, &path, &admin).send().await;
    assert_eq!(revoked.unwrap().status(), StatusCode::NO_CONTENT);
    first(since, "API key revoked in the console", || async {
        let response = status_on_node("/v3/domains", &secret).await.unwrap();
        response.status() == StatusCode::UNAUTHORIZED
    })
    .await;

    // Private key export turned on in the console of the first node.
    let id = app
        .greenarrow()
        .import("example.com", "s1", &keys().await[0].pkcs1)
        .await;
    let key_path = format!("/ga/api/v3/eng/dkim_keys/{id}");
    let shows_private = || async {
        let response = status_on_node(&key_path, &app.api_key).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["data"]["dkim_key"]["key"]["private"].is_string()
    };
    assert!(!shows_private().await, "export is off at first");
    let since = Instant::now();
    let changed = console
        .call(Method::PATCH, "/console/v1/settings", &owner)
        .json(&json!({"private_key_export": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    first(since, "settings changed in the console", shows_private).await;

    // A fleet revoked in the console of the first node.
    let created = console
        .call(Method::POST, "/console/v1/fleets", &owner)
        .json(&json!({"name": "mta-eu", "domains": ["example.com"]}))
        .send()
        .await
        .unwrap();
    let (status, created) = json_of(created).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    let etag = poll_at(&node.base_url, &token, None).await.etag.unwrap();
    let cached = poll_at(&node.base_url, &token, Some(&etag)).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    let since = Instant::now();
    let revoked = console
        .call(Method::DELETE, "/console/v1/fleets/mta-eu", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    first(since, "fleet revoked in the console", || async {
        let polled = poll_at(&node.base_url, &token, Some(&etag)).await;
        assert!(
            matches!(
                polled.status,
                StatusCode::NOT_MODIFIED | StatusCode::UNAUTHORIZED
            ),
            "{polled:?}"
        );
        polled.status == StatusCode::UNAUTHORIZED
    })
    .await;
}
