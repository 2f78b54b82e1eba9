//! The rate limiter's cost per request. A measurement, not a test: run with
//! `cargo test --release -p signet-storage --test shared_state -- --ignored
//! --nocapture rate_limiter_overhead` (with `SIGNET_TEST_REDIS_URL` set).

use std::time::{Duration, Instant};

use signet_domain::shared_state::RateLimiter;
use signet_storage::shared::{LocalRateLimiter, RateLimitSettings, SharedState};

use crate::support::{free_port, loopback_url, redis_url, settings};

const CALLS: usize = 10_000;

/// Times `CALLS` takes over 100 buckets and prints mean, p50 and p99.
async fn measure(label: &str, limiter: &dyn RateLimiter) {
    let buckets: Vec<String> = (0..100).map(|i| format!("api-key-{i}")).collect();
    let mut samples = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let started = Instant::now();
        let decision = limiter.take(&buckets[i % buckets.len()]).await;
        samples.push(started.elapsed());
        assert!(decision.allowed, "the bench's buckets never run dry");
    }
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / u32::try_from(CALLS).unwrap();
    let (p50, p99) = (samples[CALLS / 2], samples[CALLS * 99 / 100]);
    println!("{label:<28} mean {mean:>10.1?}  p50 {p50:>10.1?}  p99 {p99:>10.1?}");
}

#[tokio::test]
#[ignore = "a measurement; run it in release"]
async fn rate_limiter_overhead() {
    let Some(url) = redis_url() else { return };
    let limits = RateLimitSettings::new(1_000_000, 1_000_000.0);
    println!("{CALLS} takes each:");
    measure("in-process", &LocalRateLimiter::new(limits)).await;

    let on_redis = SharedState::connect_with(settings(&url, limits))
        .await
        .unwrap();
    measure("Redis (Lua token bucket)", on_redis.rate_limiter().as_ref()).await;

    let degraded = SharedState::connect_with(settings(&loopback_url(free_port()), limits))
        .await
        .unwrap();
    measure("Redis down (fallback)", degraded.rate_limiter().as_ref()).await;
}
