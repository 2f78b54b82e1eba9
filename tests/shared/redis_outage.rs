//! Redis killed under a stream of requests: not one request fails, readiness
//! says degraded, and Redis is used again once it is back on the same port.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use signet_tests::{spawn_app_with, AppOptions, PrivateRedis, RedisConfig, TestApp};

use super::eventually;
use crate::mailgun::support::{pems, Mailgun};

/// Requests in the stream, and how many are answered before Redis dies.
const REQUESTS: usize = 240;
const KILL_AFTER: usize = 60;
const WORKERS: usize = 4;

async fn readiness(app: &TestApp) -> (StatusCode, Value) {
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// One request of the stream: a list in either dialect, or a create.
async fn request(app: &TestApp, pem: &str, i: usize) -> StatusCode {
    let request = match i % 3 {
        0 => app.get("/v1/dkim/keys"),
        1 => app.get("/ga/api/v3/eng/dkim_keys"),
        _ => app.post("/v1/dkim/keys").form(&[
            ("signing_domain", "example.com"),
            ("selector", &format!("s{i}")),
            ("pem", pem),
        ]),
    };
    request.send().await.expect("the server answers").status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_mid_stream_fails_no_request_and_it_is_used_again_when_back() {
    if !PrivateRedis::available() {
        return;
    }
    let redis = PrivateRedis::start().await;
    let port = redis.port();
    let app = Arc::new(
        spawn_app_with(AppOptions {
            redis: Some(RedisConfig::new(redis.url())),
            ..AppOptions::default()
        })
        .await,
    );
    let (pem, _, _) = pems().await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["redis"], "redis", "{body}");

    let next = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (app, next, answered) = (app.clone(), next.clone(), answered.clone());
            let pem = pem.pkcs1.clone();
            tokio::spawn(async move {
                let mut failures = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= REQUESTS {
                        return failures;
                    }
                    let status = request(&app, &pem, i).await;
                    if status != StatusCode::OK {
                        failures.push((i, status));
                    }
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    eventually(
        Duration::from_secs(30),
        "the stream is under way",
        || async { (answered.load(Ordering::SeqCst) >= KILL_AFTER).then_some(()) },
    )
    .await;
    redis.kill().await;
    let killed_at = answered.load(Ordering::SeqCst);
    let mut failures = Vec::new();
    for worker in workers {
        failures.extend(worker.await.unwrap());
    }
    assert!(killed_at < REQUESTS, "Redis died before the stream ended");
    assert!(failures.is_empty(), "failed requests: {failures:?}");

    let (status, body) = readiness(&app).await;
    assert_eq!(status, StatusCode::OK, "the node still serves: {body}");
    assert_eq!(body["status"], "degraded", "{body}");
    assert!(
        body["redis"].as_str().unwrap().starts_with("degraded"),
        "{body}"
    );

    let _back = PrivateRedis::start_on(port).await;
    eventually(
        Duration::from_secs(10),
        "readiness sees Redis again",
        || async {
            let (status, body) = readiness(&app).await;
            (status == StatusCode::OK && body["status"] == "ok" && body["redis"] == "redis")
                .then_some(())
        },
    )
    .await;
    let after = Mailgun::new(&app).list_keys(&[("limit", "100")]).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.headers["x-ratelimit-limit"], "1000000");
}
