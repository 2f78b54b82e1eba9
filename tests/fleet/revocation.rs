//! A fleet token revoked by `signet fleet admin revoke` (a process of its
//! own, which tells no node directly) stops on every node within a second:
//! through the announcement on Redis when it is there, and without it
//! because a cached feed's token is checked again after half a second.
//! Both nodes serve from their caches meanwhile (the feed's age is 30 s).

use std::time::Duration;

use reqwest::StatusCode;
use signet_api::settings::cli::{Command, FleetAdminCommand, FleetCommand};
use signet_tests::fixtures::keys;
use signet_tests::{backends, spawn_app_with, AppOptions, Backend, RedisConfig, TestApp};
use tokio::time::Instant;

use super::{create_fleet, poll_at};

/// The bound on a revocation reaching every node.
const BOUND: Duration = Duration::from_secs(1);
/// How long a test keeps looking, so a miss reports how late it was.
const PATIENCE: Duration = Duration::from_secs(5);

/// How long after `since` `base_url` first refused `token` (polled with its
/// ETag, so a cached feed answers 304 until then).
async fn until_refused(base_url: &str, token: &str, etag: &str, since: Instant) -> Duration {
    loop {
        let sent = Instant::now();
        let polled = poll_at(base_url, token, Some(etag)).await;
        match polled.status {
            StatusCode::NOT_MODIFIED => {}
            StatusCode::UNAUTHORIZED => return sent - since,
            other => panic!("{other}: {}", polled.text),
        }
        assert!(sent - since < PATIENCE, "still served after {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Starts two nodes on one database, warms both caches with a fleet's feed,
/// revokes it as the CLI does and returns how long each node took to refuse it.
async fn cli_revocation_delays(backend: Backend, redis: Option<RedisConfig>) -> [Duration; 2] {
    let app: TestApp = spawn_app_with(AppOptions {
        backend,
        redis,
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    app.greenarrow()
        .import("a.example", "s1", &keys().await[0].pkcs1)
        .await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let nodes = [app.base_url.clone(), node.base_url.clone()];
    let mut etag = String::new();
    for base_url in &nodes {
        etag = poll_at(base_url, &token, None).await.etag.unwrap();
        let again = poll_at(base_url, &token, Some(&etag)).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{}", again.text);
    }

    let since = Instant::now();
    let revoke = Command::Fleet(FleetCommand::Admin(FleetAdminCommand::Revoke {
        name: "mta-eu".to_owned(),
        tenant: app.tenant.as_str().to_owned(),
    }));
    signet_api::commands::run(Some(revoke), app.settings.clone())
        .await
        .expect("the revocation runs");
    let (first, second) = tokio::join!(
        until_refused(&nodes[0], &token, &etag, since),
        until_refused(&nodes[1], &token, &etag, since),
    );
    [first, second]
}

fn assert_within_bound(what: &str, delays: [Duration; 2]) {
    eprintln!("{what}: refused after {:?} and {:?}", delays[0], delays[1]);
    for delay in delays {
        assert!(delay < BOUND, "{what}: {delay:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_a_fleet_revoked_by_the_cli_is_refused_on_every_node_within_a_second() {
    for backend in backends() {
        let delays = cli_revocation_delays(backend, None).await;
        assert_within_bound(&format!("{backend:?}, no Redis"), delays);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_fleet_revoked_by_the_cli_is_refused_on_every_node_within_a_second() {
    let Some(redis) = signet_tests::skip::redis_or_skip() else {
        return;
    };
    for backend in backends() {
        let delays = cli_revocation_delays(backend, Some(redis.clone())).await;
        assert_within_bound(&format!("{backend:?}, Redis"), delays);
    }
}
