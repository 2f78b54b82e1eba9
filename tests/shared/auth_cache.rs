//! The authentication cache across nodes: a revocation or a settings change
//! made on one node holds on another within a second, announced on Redis
//! when it is there, and through the cache's short TTL when it is not (no
//! Redis, Redis stopped).
//!
//! Where a test proves the announcement, both nodes cache for a minute, so
//! nothing but the announcement can explain a refusal within the second.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use signet_api::settings::cli::{ApiKeyCommand, Command};
use signet_api::Settings;
use signet_domain::{Origin, TenantSettings};
use signet_tests::fixtures::keys;
use signet_tests::{
    backends, eventually, skip, spawn_app_with, AppOptions, Backend, PrivateRedis, RedisConfig,
    TestApp, TestNode,
};
use tokio::time::Instant;

/// The bound on a change reaching every node.
const BOUND: Duration = Duration::from_secs(1);
/// How long a test keeps looking, so a miss reports how late it was.
const PATIENCE: Duration = Duration::from_secs(5);

/// Both nodes cache for a minute: only an announcement is fast enough.
fn cache_for_a_minute(settings: &mut Settings) {
    settings.auth_cache.ttl = Duration::from_secs(60);
}

/// How long after `since` a request to `url` with `key` first got an
/// answer that `wanted` accepts, counted when that request was sent.
async fn first_answer<F>(url: &str, key: &str, since: Instant, wanted: F) -> Duration
where
    F: Fn(StatusCode, &Value) -> bool,
{
    let client = reqwest::Client::new();
    loop {
        let sent = Instant::now();
        let response = client
            .get(url)
            .basic_auth("api", Some(key))
            .send()
            .await
            .expect("the node answers");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if wanted(status, &body) {
            return sent - since;
        }
        assert!(
            sent - since < PATIENCE,
            "not within {PATIENCE:?}: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The status of `GET path` on `node` with `key`.
async fn status(node: &TestNode, path: &str, key: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{}{path}", node.base_url))
        .basic_auth("api", Some(key))
        .send()
        .await
        .expect("the node answers")
        .status()
}

const KEYS: &str = "/v1/dkim/keys";

/// Issues a key on `app`'s node, checks it works at once on both nodes
/// (and so is cached on `node`), revokes it on `app`'s node and returns how
/// long `node` took to refuse it.
async fn revocation_delay(app: &TestApp, node: &TestNode) -> Duration {
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let issued = app
        .admin
        .issue_api_key(&tenant, &Origin::cli())
        .await
        .unwrap();
    let key = issued.secret.expose().to_owned();
    let on_app = app.client.get(app.url(KEYS)).basic_auth("api", Some(&key));
    assert_eq!(on_app.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(status(node, KEYS, &key).await, StatusCode::OK);

    let since = Instant::now();
    app.admin
        .revoke_api_key(&tenant, &Origin::cli(), issued.id)
        .await
        .unwrap();
    let refused = |status: StatusCode, _: &Value| status == StatusCode::UNAUTHORIZED;
    let delay = first_answer(&format!("{}{KEYS}", node.base_url), &key, since, refused).await;
    let on_app = app.client.get(app.url(KEYS)).basic_auth("api", Some(&key));
    assert_eq!(
        on_app.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "refused at once where it was revoked"
    );
    delay
}

/// Turns private key export on at `app`'s node and returns how long `node`
/// took to show a private key it was hiding.
async fn settings_delay(app: &TestApp, node: &TestNode) -> Duration {
    let id = app
        .greenarrow()
        .import("example.com", "s1", &keys().await[0].pkcs1)
        .await;
    let url = format!("{}/ga/api/v3/eng/dkim_keys/{id}", node.base_url);
    // The new key reaches the other node's read model of the keys within
    // its own bound (tests/shared/key_reads.rs).
    let shown = |status: StatusCode, _: &Value| status == StatusCode::OK;
    first_answer(&url, &app.api_key, Instant::now(), shown).await;
    let shows_private = |status: StatusCode, body: &Value| {
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]["dkim_key"]["key"]["private"].is_string()
    };
    let first = reqwest::Client::new()
        .get(&url)
        .basic_auth("api", Some(&app.api_key))
        .send()
        .await
        .unwrap();
    let status = first.status();
    let body: Value = first.json().await.unwrap();
    assert!(!shows_private(status, &body), "export is off at first");

    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let export = TenantSettings {
        private_key_export: true,
        ..tenant.settings
    };
    let since = Instant::now();
    app.admin
        .update_tenant_settings(&tenant, &Origin::cli(), export)
        .await
        .unwrap();
    first_answer(&url, &app.api_key, since, shows_private).await
}

fn assert_within_bound(what: &str, delay: Duration) {
    eprintln!("{what}: {delay:?}");
    assert!(delay < BOUND, "{what}: {delay:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_revocation_on_one_node_is_announced_to_the_other_within_a_second() {
    let Some(redis) = signet_tests::skip::redis_or_skip() else {
        return;
    };
    let app = spawn_app_with(AppOptions {
        redis: Some(redis),
        configure: Some(cache_for_a_minute),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    let delay = revocation_delay(&app, &node).await;
    assert_within_bound("revocation announced on Redis", delay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_settings_change_on_one_node_is_announced_to_the_other_within_a_second() {
    let Some(redis) = signet_tests::skip::redis_or_skip() else {
        return;
    };
    let app = spawn_app_with(AppOptions {
        redis: Some(redis),
        configure: Some(cache_for_a_minute),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    let delay = settings_delay(&app, &node).await;
    assert_within_bound("settings change announced on Redis", delay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_revocation_by_the_cli_is_announced_to_a_running_node_within_a_second() {
    let Some(redis) = signet_tests::skip::redis_or_skip() else {
        return;
    };
    let app = spawn_app_with(AppOptions {
        redis: Some(redis),
        configure: Some(cache_for_a_minute),
        ..AppOptions::default()
    })
    .await;
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let issued = app
        .admin
        .issue_api_key(&tenant, &Origin::cli())
        .await
        .unwrap();
    let key = issued.secret.expose().to_owned();
    let on_app = || app.client.get(app.url(KEYS)).basic_auth("api", Some(&key));
    assert_eq!(on_app().send().await.unwrap().status(), StatusCode::OK);

    // The CLI's own composition and cache, as `signet api-key revoke` runs it.
    let since = Instant::now();
    let revoke = Command::ApiKey(ApiKeyCommand::Revoke {
        tenant: app.tenant.as_str().to_owned(),
        id: issued.id.0,
    });
    signet_api::commands::run(Some(revoke), app.settings.clone())
        .await
        .expect("the revocation runs");
    let refused = |status: StatusCode, _: &Value| status == StatusCode::UNAUTHORIZED;
    let delay = first_answer(&app.url(KEYS), &key, since, refused).await;
    assert_within_bound("CLI revocation announced on Redis", delay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_revocations_and_settings_changes_hold_on_another_node_within_a_second() {
    for backend in backends() {
        let app = spawn_app_with(AppOptions {
            backend,
            ..AppOptions::default()
        })
        .await;
        let node = app.spawn_node().await;
        let delay = revocation_delay(&app, &node).await;
        assert_within_bound(&format!("{backend:?}: revocation, no Redis"), delay);
        let delay = settings_delay(&app, &node).await;
        assert_within_bound(&format!("{backend:?}: settings change, no Redis"), delay);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stopped_revocations_and_settings_changes_hold_on_another_node_within_a_second()
{
    if !PrivateRedis::available() {
        skip("no redis-server to start");
        return;
    }
    let redis = PrivateRedis::start().await;
    let app = spawn_app_with(AppOptions {
        backend: Backend::Sqlite,
        redis: Some(RedisConfig::new(redis.url())),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    redis.kill().await;
    let delay = revocation_delay(&app, &node).await;
    assert_within_bound("revocation, Redis stopped", delay);
    let delay = settings_delay(&app, &node).await;
    assert_within_bound("settings change, Redis stopped", delay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_resume_once_redis_is_back() {
    if !PrivateRedis::available() {
        skip("no redis-server to start");
        return;
    }
    let redis = PrivateRedis::start().await;
    let port = redis.port();
    let app = spawn_app_with(AppOptions {
        redis: Some(RedisConfig::new(redis.url())),
        configure: Some(cache_for_a_minute),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    redis.kill().await;
    let _back = PrivateRedis::start_on(port).await;
    // The publisher finds Redis again within its probe interval (readiness
    // probes it); the subscriber backs off at most two seconds.
    eventually(
        Duration::from_secs(10),
        "the node uses Redis again",
        || async {
            let body: Value = app
                .client
                .get(app.url("/readyz"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (body["redis"] == "redis").then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let delay = revocation_delay(&app, &node).await;
    assert_within_bound("revocation announced after Redis came back", delay);
}
