//! The read model of the keys (issue 22) over HTTP: each node answers key
//! reads from memory, yet reads its own writes at once in both dialects,
//! sees another node's change within a second (announced on Redis, or found
//! by the version check without it), and sees a change made in the database
//! behind every node's back within a second (the triggers' key version).
//!
//! Where a test proves one path, the others wait an hour: then nothing else
//! can explain a change seen within the second.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use sea_orm::{ConnectionTrait as _, Database};
use serde_json::{json, Value};
use signet_api::Settings;
use signet_tests::dialect::greenarrow::{id_of, KEYS};
use signet_tests::dialect::mailgun::publish;
use signet_tests::dialect::send;
use signet_tests::{backends, postgres_url, skip, spawn_app_with, AppOptions, Backend, TestApp};
use tokio::time::Instant;

/// The bound on a change reaching every node.
const BOUND: Duration = Duration::from_secs(1);
/// How long a test keeps looking, so a miss reports how late it was.
const PATIENCE: Duration = Duration::from_secs(5);
const HOUR: Duration = Duration::from_secs(3600);

/// Only writes and announcements drop a snapshot: the sweep and a read's
/// own version check wait an hour.
fn announcements_only(settings: &mut Settings) {
    settings.key_cache.sweep_interval = HOUR;
    settings.key_cache.max_unverified = HOUR;
}

/// No sweep: only a read's own check of a version unconfirmed for 750 ms.
fn reads_check_alone(settings: &mut Settings) {
    settings.key_cache.sweep_interval = HOUR;
}

/// `GET path` on the node at `base` with `key`.
async fn get(base: &str, key: &str, path: &str) -> (StatusCode, Value) {
    let response = Client::new()
        .get(format!("{base}{path}"))
        .basic_auth("api", Some(key))
        .send()
        .await
        .expect("the node answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Mailgun's item for (domain, selector), as the node at `base` lists it.
async fn mailgun_key(base: &str, key: &str, domain: &str, selector: &str) -> Option<Value> {
    let path = format!("/v1/dkim/keys?signing_domain={domain}&selector={selector}");
    let (status, body) = get(base, key, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").first().cloned()
}

/// GreenArrow's record of key `id`, as the node at `base` shows it.
async fn greenarrow_key(base: &str, key: &str, id: i64) -> Option<Value> {
    let (status, body) = get(base, key, &format!("{KEYS}/{id}")).await;
    match status {
        StatusCode::OK => Some(body["data"]["dkim_key"].clone()),
        StatusCode::NOT_FOUND => None,
        _ => panic!("{status}: {body}"),
    }
}

/// The selectors of GreenArrow's default page, in id order.
async fn greenarrow_selectors(base: &str, key: &str) -> Vec<String> {
    let (status, body) = get(base, key, KEYS).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keys = body["data"]["dkim_keys"].as_array().expect("dkim_keys");
    keys.iter()
        .map(|k| k["selector"].as_str().expect("a selector").to_owned())
        .collect()
}

/// Whether Mailgun shows (domain, selector) as active.
async fn is_active(base: &str, key: &str, domain: &str, selector: &str) -> bool {
    let item = mailgun_key(base, key, domain, selector).await;
    let item = item.unwrap_or_else(|| panic!("no key {selector}"));
    item["dns_record"]["is_active"]
        .as_bool()
        .expect("is_active")
}

/// How long after `since` a read of the node first passed `seen`, counted
/// when that read was sent.
async fn first_seen<F, Fut>(since: Instant, seen: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        let sent = Instant::now();
        if seen().await {
            return sent - since;
        }
        assert!(sent - since < PATIENCE, "not seen within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn assert_within_bound(what: &str, delay: Duration) {
    eprintln!("{what}: {delay:?}");
    assert!(delay < BOUND, "{what}: {delay:?}");
}

/// The key reads the server answered from memory so far.
async fn hits(app: &TestApp) -> u64 {
    let text = app.public_text("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix("signet_key_cache_hits_total "))
        .expect("a hit count in /metrics")
        .trim()
        .parse()
        .expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_is_read_back_at_once_in_both_dialects_on_the_node_that_made_it() {
    for backend in backends() {
        let app = spawn_app_with(AppOptions {
            backend,
            configure: Some(announcements_only),
            ..AppOptions::default()
        })
        .await;
        let (base, key) = (app.url(""), app.api_key.as_str());
        let (ga, mg) = (app.greenarrow(), app.mailgun());
        let new = |selector: &str| json!({"domain": "example.com", "selector": selector, "key": {"bits": 1024}});
        // Each step's reads load the snapshot the next step's write must drop.
        assert!(greenarrow_selectors(&base, key).await.is_empty());
        let s1 = id_of(&ga.create_ok(new("s1")).await);
        assert!(
            greenarrow_key(&base, key, s1).await.is_some(),
            "{backend:?}"
        );
        assert!(mailgun_key(&base, key, "example.com", "s1").await.is_some());
        let s2 = id_of(&ga.create_ok(new("s2")).await);
        assert_eq!(greenarrow_selectors(&base, key).await, ["s1", "s2"]);
        assert!(is_active(&base, key, "example.com", "s2").await);

        mg.key_action("example.com", "s2", "deactivate")
            .await
            .expect(200);
        assert!(
            !is_active(&base, key, "example.com", "s2").await,
            "deactivated"
        );
        let item = mailgun_key(&base, key, "example.com", "s2")
            .await
            .expect("s2");
        publish(&app, &item["dns_record"]);
        mg.key_action("example.com", "s2", "activate")
            .await
            .expect(200);
        assert!(
            is_active(&base, key, "example.com", "s2").await,
            "activated"
        );

        ga.update(s2, json!({"selector": "s3"})).await.ok();
        let renamed = greenarrow_key(&base, key, s2).await.expect("still there");
        assert_eq!(renamed["selector"], "s3");
        assert!(mailgun_key(&base, key, "example.com", "s2").await.is_none());
        assert!(mailgun_key(&base, key, "example.com", "S3").await.is_some());

        let rotate = "/v1/dkim_management/domains/example.com/rotate";
        send(mg.request(Method::POST, rotate)).await.expect(200);
        let selectors = greenarrow_selectors(&base, key).await;
        assert_eq!(
            selectors.len(),
            3,
            "the rotation's pending key: {selectors:?}"
        );
        assert_eq!(mg.listed_selectors("example.com").await, selectors);

        ga.delete(s1).await.ok();
        assert!(greenarrow_key(&base, key, s1).await.is_none(), "deleted");
        assert!(mailgun_key(&base, key, "example.com", "s1").await.is_none());
        assert_eq!(greenarrow_selectors(&base, key).await.len(), 2);
        assert!(hits(&app).await > 0, "reads were answered from memory");
    }
}

/// Loads key `id` into `node`'s read model, renames it on `app`'s node and
/// returns how long `node` took to show the new name.
async fn rename_delay(app: &TestApp, node_base: &str) -> Duration {
    let key = app.api_key.as_str();
    let body = json!({"domain": "example.com", "selector": "s1", "key": {"bits": 1024}});
    let id = id_of(&app.greenarrow().create_ok(body).await);
    let shown = greenarrow_key(node_base, key, id)
        .await
        .expect("the other node shows it");
    assert_eq!(shown["selector"], "s1");
    let since = Instant::now();
    app.greenarrow()
        .update(id, json!({"selector": "s2"}))
        .await
        .ok();
    first_seen(since, || async {
        let shown = greenarrow_key(node_base, key, id)
            .await
            .expect("still there");
        shown["selector"] == "s2"
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_change_on_one_node_is_announced_to_the_other_within_a_second() {
    let Some(redis) = signet_tests::skip::redis_or_skip() else {
        return;
    };
    if postgres_url().is_none() {
        skip("needs PostgreSQL (SIGNET_TEST_POSTGRES_URL)");
        return;
    }
    let app = spawn_app_with(AppOptions {
        backend: Backend::Postgres,
        redis: Some(redis),
        configure: Some(announcements_only),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    let delay = rename_delay(&app, &node.base_url).await;
    assert_within_bound("rename announced on Redis", delay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_a_change_on_one_node_is_seen_on_the_other_within_a_second() {
    for backend in backends() {
        let app = spawn_app_with(AppOptions {
            backend,
            ..AppOptions::default()
        })
        .await;
        let node = app.spawn_node().await;
        let delay = rename_delay(&app, &node.base_url).await;
        assert_within_bound(&format!("{backend:?}: rename, no Redis"), delay);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_in_the_database_behind_every_nodes_back_is_seen_within_a_second() {
    for backend in backends() {
        for (how, configure) in [
            ("the sweep", None),
            (
                "the read's own check",
                Some(reads_check_alone as fn(&mut Settings)),
            ),
        ] {
            let app = spawn_app_with(AppOptions {
                backend,
                configure,
                ..AppOptions::default()
            })
            .await;
            let (base, key) = (app.url(""), app.api_key.as_str());
            let s1 = json!({"domain": "example.com", "selector": "s1", "key": {"bits": 1024}});
            app.greenarrow().create_ok(s1).await;
            assert!(is_active(&base, key, "example.com", "s1").await);
            let raw = Database::connect(&app.database_url).await.unwrap();
            let since = Instant::now();
            let sql = "UPDATE dkim_keys SET active = FALSE WHERE selector = 's1'";
            raw.execute_unprepared(sql).await.unwrap();
            let delay = first_seen(since, || async {
                !is_active(&base, key, "example.com", "s1").await
            })
            .await;
            assert_within_bound(&format!("{backend:?}: raw UPDATE, found by {how}"), delay);
        }
    }
}
