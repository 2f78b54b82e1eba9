//! Redis killed under a stream of requests: not one request fails, readiness
//! says degraded, and Redis is used again once it is back on the same port.
//! The workers pause between the stream's phases while the test kills and
//! restarts Redis, so each phase has its full count of requests.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use signet_tests::fixtures::keys;
use signet_tests::skip;
use signet_tests::{spawn_app_with, within, AppOptions, PrivateRedis, RedisConfig, TestApp};
use tokio::sync::Barrier;

use super::eventually;

/// The requests of each phase of the stream: Redis up, killed, back.
const PHASES: [Range<usize>; 3] = [0..60, 60..180, 180..240];
const WORKERS: usize = 4;
/// How long a phase may take on a loaded machine.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

/// What the workers share: the next request of each phase, and the barrier
/// where they wait between phases, twice: once to say the phase is over,
/// once to be let go into the next.
struct Stream {
    next: [AtomicUsize; 3],
    between: Barrier,
}

impl Stream {
    fn new() -> Self {
        Self {
            next: PHASES.map(|phase| AtomicUsize::new(phase.start)),
            between: Barrier::new(WORKERS + 1),
        }
    }

    /// The test's side of the barrier.
    async fn meet(&self, what: &str) {
        within(PHASE_TIMEOUT, what, self.between.wait()).await;
    }
}

async fn readiness(app: &TestApp) -> (StatusCode, Value) {
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// One request of the stream: a list in either dialect, or a create.
async fn request(app: &TestApp, pem: &str, i: usize) -> Result<StatusCode, reqwest::Error> {
    let request = match i % 3 {
        0 => app.get("/v1/dkim/keys"),
        1 => app.get("/ga/api/v3/eng/dkim_keys"),
        _ => app.post("/v1/dkim/keys").form(&[
            ("signing_domain", "example.com"),
            ("selector", &format!("s{i}")),
            ("pem", pem),
        ]),
    };
    Ok(request.send().await?.status())
}

/// Sends requests phase by phase; returns how many it sent and the failures.
async fn work(app: Arc<TestApp>, stream: Arc<Stream>, pem: String) -> (usize, Vec<String>) {
    let (mut sent, mut failures) = (0, Vec::new());
    for (phase, range) in PHASES.iter().enumerate() {
        if phase > 0 {
            stream.between.wait().await;
            stream.between.wait().await;
        }
        loop {
            let i = stream.next[phase].fetch_add(1, Ordering::SeqCst);
            if i >= range.end {
                break;
            }
            sent += 1;
            match request(&app, &pem, i).await {
                Ok(StatusCode::OK) => {}
                Ok(status) => failures.push(format!("request {i}: {status}")),
                Err(e) => failures.push(format!("request {i}: {e}")),
            }
        }
    }
    (sent, failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_mid_stream_fails_no_request_and_it_is_used_again_when_back() {
    if !PrivateRedis::available() {
        skip("no redis-server to start");
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
    let [pem, _, _] = keys().await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["redis"], "redis", "{body}");

    let stream = Arc::new(Stream::new());
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| tokio::spawn(work(app.clone(), stream.clone(), pem.pkcs1.clone())))
        .collect();
    stream.meet("the requests with Redis up are answered").await;
    redis.kill().await;
    stream.meet("the workers go on").await;
    stream
        .meet("the requests with Redis down are answered")
        .await;

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
    stream.meet("the workers go on").await;
    let (mut sent, mut failures) = (0, Vec::new());
    for worker in workers {
        let (count, failed) = within(PHASE_TIMEOUT, "the stream ends", worker)
            .await
            .expect("a worker never panics");
        sent += count;
        failures.extend(failed);
    }
    assert_eq!(sent, PHASES[2].end, "every request of every phase was sent");
    assert!(failures.is_empty(), "failed requests: {failures:?}");

    let after = app.mailgun().list_keys(&[("limit", "100")]).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.headers["x-ratelimit-limit"], "1000000");
}
