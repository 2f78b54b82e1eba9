//! The feed cache: an unchanged feed is served without a database
//! statement, and a change on one node is seen on another at once, through
//! Redis.

use std::time::Duration;

use reqwest::StatusCode;
use signet_api::Settings;
use signet_domain::{FleetName, Origin};
use signet_tests::fixtures::keys;
use signet_tests::{spawn_app_with, AppOptions, TestApp};
use tokio::time::Instant;

use super::{create_fleet, poll, poll_at};

/// The statements the server has sent to its database so far.
async fn statements(app: &TestApp) -> u64 {
    let text = app.public_text("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix("signet_database_statements_total "))
        .expect("a statement count")
        .trim()
        .parse()
        .expect("a count")
}

/// A metric's value in `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.public_text("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .map_or(0, |v| v.trim().parse().expect("a count"))
}

/// Nothing expires during a test: only an announcement explains a new ETag.
/// The background publisher, whose pass reads the publishers every second,
/// is off, so every statement counted is a request's own.
fn cache_long(settings: &mut Settings) {
    settings.publish.interval = Duration::ZERO;
    settings.feed_cache.max_age = Duration::from_secs(600);
    settings.feed_cache.revalidate_after = Duration::from_secs(600);
    settings.auth_cache.ttl = Duration::from_secs(600);
    // Nor does the read model of the keys sweep while statements are counted.
    settings.key_cache.sweep_interval = Duration::from_secs(600);
    settings.key_cache.max_unverified = Duration::from_secs(600);
}

#[tokio::test]
async fn an_unchanged_feed_costs_no_database_statement_whether_304_or_200() {
    let app = spawn_app_with(AppOptions {
        configure: Some(cache_long),
        ..AppOptions::default()
    })
    .await;
    app.greenarrow()
        .import("a.example", "s1", &keys().await[0].pkcs1)
        .await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let etag = poll(&app, &token, None).await.etag.unwrap();
    let hits = metric(&app, "signet_fleet_feed_cache_hits_total").await;
    let before = statements(&app).await;
    for _ in 0..5 {
        let polled = poll(&app, &token, Some(&etag)).await;
        assert_eq!(polled.status, StatusCode::NOT_MODIFIED);
        assert_eq!(poll(&app, &token, None).await.status, StatusCode::OK);
    }
    assert_eq!(statements(&app).await - before, 0, "no statement");
    assert!(metric(&app, "signet_fleet_feed_cache_hits_total").await >= hits + 10);
    assert!(metric(&app, "signet_fleet_feed_cache_misses_total").await >= 1);
}

#[tokio::test]
async fn a_dns_check_that_confirms_a_key_keeps_the_feed_cached() {
    let app = spawn_app_with(AppOptions {
        configure: Some(cache_long),
        ..AppOptions::default()
    })
    .await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "mx").await.expect(200);
    let (_, record) = mg.keys_of("example.com").await.remove(0);
    signet_tests::dialect::mailgun::publish(&app, &record);
    mg.key_action("example.com", "mx", "activate")
        .await
        .expect(200);
    let verify = || {
        app.mailgun()
            .request(reqwest::Method::PUT, "/v4/domains/example.com/verify")
            .send()
    };
    assert_eq!(verify().await.unwrap().status(), StatusCode::OK);
    let token = create_fleet(&app, "mta", "example.com").await;
    let etag = poll(&app, &token, None).await.etag.unwrap();

    // Found as before: no announcement, so the cached feed still serves.
    assert_eq!(verify().await.unwrap().status(), StatusCode::OK);
    let before = statements(&app).await;
    let polled = poll(&app, &token, Some(&etag)).await;
    assert_eq!(polled.status, StatusCode::NOT_MODIFIED);
    assert_eq!(statements(&app).await - before, 0, "served from the cache");
}

#[tokio::test]
async fn a_cached_feed_is_read_again_once_its_age_is_up() {
    fn short(settings: &mut Settings) {
        settings.feed_cache.max_age = Duration::from_millis(200);
    }
    let app = spawn_app_with(AppOptions {
        configure: Some(short),
        ..AppOptions::default()
    })
    .await;
    app.greenarrow()
        .import("a.example", "s1", &keys().await[0].pkcs1)
        .await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let etag = poll(&app, &token, None).await.etag.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = statements(&app).await;
    assert_eq!(
        poll(&app, &token, Some(&etag)).await.status,
        StatusCode::NOT_MODIFIED
    );
    assert!(statements(&app).await > before, "read again");
}

/// How long after `since` `node` first answered `token` with something
/// other than `Some(etag)` (a new ETag, or a refusal).
async fn until_changed(base_url: &str, token: &str, etag: &str, since: Instant) -> Duration {
    loop {
        let sent = Instant::now();
        let polled = poll_at(base_url, token, Some(etag)).await;
        if polled.status != StatusCode::NOT_MODIFIED {
            return sent - since;
        }
        assert!(sent - since < Duration::from_secs(5), "not within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_change_or_a_revocation_on_one_node_reaches_the_other_nodes_cache_at_once() {
    let Some(redis) = signet_tests::skip::redis_or_skip() else {
        return;
    };
    let app = spawn_app_with(AppOptions {
        redis: Some(redis),
        configure: Some(cache_long),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    let pems = keys().await;
    app.greenarrow()
        .import("a.example", "s1", &pems[0].pkcs1)
        .await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let etag = poll_at(&node.base_url, &token, None).await.etag.unwrap();
    // Cached on the other node now.
    assert_eq!(
        poll_at(&node.base_url, &token, Some(&etag)).await.status,
        StatusCode::NOT_MODIFIED
    );

    let since = Instant::now();
    app.greenarrow()
        .import("a.example", "s2", &pems[1].pkcs1)
        .await;
    let delay = until_changed(&node.base_url, &token, &etag, since).await;
    eprintln!("key change reached the other node in {delay:?}");
    assert!(delay < Duration::from_secs(1), "{delay:?}");

    let etag = poll_at(&node.base_url, &token, None).await.etag.unwrap();
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let since = Instant::now();
    app.admin
        .revoke_fleet(
            &tenant,
            &Origin::cli(),
            &FleetName::parse("mta-eu").unwrap(),
        )
        .await
        .unwrap();
    let delay = until_changed(&node.base_url, &token, &etag, since).await;
    eprintln!("revocation reached the other node in {delay:?}");
    assert!(delay < Duration::from_secs(1), "{delay:?}");
    assert_eq!(
        poll_at(&node.base_url, &token, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
