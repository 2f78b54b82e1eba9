//! Benchmarks over HTTP, not checks: a domain verification against the
//! loopback DNS server, and what the rate limiter adds to a request. Run them
//! optimised and read the figures they print:
//! `cargo test -p signet-tests --release --test blackbox shared::benchmarks -- --ignored --nocapture --test-threads 1`.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use signet_api::Settings;
use signet_tests::dialect::mailgun::publish;
use signet_tests::dialect::send;
use signet_tests::{spawn_app_configured, spawn_app_with, AppOptions, RedisConfig, TestApp};

const VERIFICATIONS: usize = 500;
const REQUESTS: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn verification_latency_over_http() {
    let app = spawn_app_with(AppOptions::default()).await;
    let mg = app.mailgun();
    let created = mg.create_domain("example.com", "s1").await.expect(200);
    publish(&app, &created["sending_dns_records"][0]);
    let samples = time(VERIFICATIONS, || async {
        let answer = send(mg.request(Method::PUT, "/v4/domains/example.com/verify")).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["sending_dns_records"][0]["valid"], "valid");
    })
    .await;
    report(
        "PUT /v4/domains/{name}/verify (one key, a lookup each)",
        samples,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn rate_limiter_overhead_over_http() {
    let off = spawn_app_configured(|s: &mut Settings| s.rate_limit.capacity = 0).await;
    let local = spawn_app_with(AppOptions::default()).await;
    report("limiter off", list_repeatedly(&off).await);
    report("limiter in process", list_repeatedly(&local).await);
    if let Some(redis) = RedisConfig::from_env() {
        let on_redis = spawn_app_with(AppOptions {
            redis: Some(redis),
            ..AppOptions::default()
        })
        .await;
        report("limiter on Redis", list_repeatedly(&on_redis).await);
    }
}

/// `GET /ga/api/v3/eng/dkim_keys` (an empty list) one request at a time.
async fn list_repeatedly(app: &TestApp) -> Vec<Duration> {
    time(REQUESTS, || async {
        let response = app.get("/ga/api/v3/eng/dkim_keys").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    })
    .await
}

/// Runs `f` `n` times after a warm-up of 50, timing each run.
async fn time<F, Fut>(n: usize, mut f: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..50 {
        f().await;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
    samples
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: {} requests, p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}
