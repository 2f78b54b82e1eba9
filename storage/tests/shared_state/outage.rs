//! Redis going away and coming back, with private `redis-server` processes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use signet_storage::shared::{RateLimitSettings, SharedHealth, SharedState};
use tokio::task::JoinHandle;

use crate::capture::LogCount;
use crate::support::{
    connection, eventually, free_port, loopback_url, settings, PrivateRedis, PROBE_INTERVAL,
};

/// A stream of cache and rate-limit calls, as requests would make them.
struct Stream {
    calls: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: JoinHandle<Tally>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    calls: u64,
    hits: u64,
    misses: u64,
    wrong_values: u64,
    refusals: u64,
}

impl Stream {
    fn start(shared: SharedState) -> Self {
        let calls = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, stopped) = (calls.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let (cache, limiter) = (shared.cache(), shared.rate_limiter());
            let mut tally = Tally::default();
            while !stopped.load(Ordering::SeqCst) {
                let (key, value) = (format!("k{}", tally.calls), format!("v{}", tally.calls));
                cache.put(&key, &value, Duration::from_secs(60)).await;
                match cache.get(&key).await {
                    Some(found) if found == value => tally.hits += 1,
                    Some(_) => tally.wrong_values += 1,
                    None => tally.misses += 1,
                }
                if !limiter.take("stream").await.allowed {
                    tally.refusals += 1;
                }
                tally.calls += 1;
                counter.store(tally.calls, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
            tally
        });
        Self { calls, stop, task }
    }

    /// Waits for `more` iterations beyond the current count.
    async fn run_for(&self, more: u64) {
        let target = self.calls.load(Ordering::SeqCst) + more;
        eventually(
            Duration::from_secs(30),
            "the stream makes progress",
            || async { (self.calls.load(Ordering::SeqCst) >= target).then_some(()) },
        )
        .await;
    }

    async fn stop(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.expect("the stream never panics")
    }
}

/// The value Redis itself holds for the cache entry `key`.
async fn cached_in_redis(url: &str, prefix: &str, key: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(format!("{prefix}cache:{key}"))
        .query_async(&mut connection(url).await)
        .await
        .expect("GET from the private Redis")
}

#[tokio::test]
async fn killing_redis_mid_stream_fails_no_call_and_redis_comes_back_by_itself() {
    if !PrivateRedis::available() {
        return;
    }
    let logs = LogCount::start();
    let server = PrivateRedis::start().await;
    let (port, url) = (server.port(), server.url());
    let settings = settings(&url, RateLimitSettings::new(1_000_000, 1_000_000.0));
    let prefix = settings.key_prefix.clone();
    let shared = SharedState::connect_with(settings).await.unwrap();
    assert_eq!(shared.health(), SharedHealth::Redis);

    let stream = Stream::start(shared.clone());
    stream.run_for(200).await;
    assert_eq!(shared.health(), SharedHealth::Redis);
    server.kill().await;
    stream.run_for(200).await;
    // Several probes fail while Redis stays down; still one warning.
    tokio::time::sleep(PROBE_INTERVAL * 4).await;
    stream.run_for(1).await;
    assert!(
        matches!(shared.health(), SharedHealth::Degraded(_)),
        "{:?}",
        shared.health()
    );

    let _server = PrivateRedis::start_on(port).await;
    eventually(
        Duration::from_secs(15),
        "health returns to Redis",
        || async { (shared.health() == SharedHealth::Redis).then_some(()) },
    )
    .await;
    stream.run_for(200).await;
    let tally = stream.stop().await;
    assert!(tally.calls >= 600, "{tally:?}");
    assert_eq!((tally.wrong_values, tally.refusals), (0, 0), "{tally:?}");
    assert!(
        tally.misses <= 2,
        "only calls straddling a switch may miss: {tally:?}"
    );

    shared
        .cache()
        .put("after", "back", Duration::from_secs(60))
        .await;
    assert_eq!(shared.cache().get("after").await.as_deref(), Some("back"));
    let stored = cached_in_redis(&url, &prefix, "after").await;
    assert_eq!(
        stored.as_deref(),
        Some("back"),
        "answers come from Redis again"
    );
    assert_eq!(
        (logs.warnings(), logs.infos()),
        (1, 1),
        "one warning per outage"
    );
}

#[tokio::test]
async fn redis_down_at_startup_starts_degraded_then_recovers_when_it_starts() {
    if !PrivateRedis::available() {
        return;
    }
    let logs = LogCount::start();
    let port = free_port();
    let url = loopback_url(port);
    let settings = settings(&url, RateLimitSettings::new(2, 0.01));
    let prefix = settings.key_prefix.clone();
    let shared = SharedState::connect_with(settings)
        .await
        .expect("boot survives");
    assert!(matches!(shared.health(), SharedHealth::Degraded(_)));

    shared.cache().put("k", "v", Duration::from_secs(60)).await;
    assert_eq!(shared.cache().get("k").await.as_deref(), Some("v"));
    let limiter = shared.rate_limiter();
    assert!(limiter.take("key").await.allowed && limiter.take("key").await.allowed);
    assert!(!limiter.take("key").await.allowed);
    assert!(
        shared
            .leases()
            .try_acquire("job", Duration::from_secs(60))
            .await
    );
    assert!(
        !shared
            .leases()
            .try_acquire("job", Duration::from_secs(60))
            .await
    );
    for _ in 0..3 {
        tokio::time::sleep(PROBE_INTERVAL).await;
        assert!(matches!(shared.check().await, SharedHealth::Degraded(_)));
    }

    let _server = PrivateRedis::start_on(port).await;
    eventually(
        Duration::from_secs(15),
        "health returns to Redis",
        || async { (shared.check().await == SharedHealth::Redis).then_some(()) },
    )
    .await;
    shared
        .cache()
        .put("k", "on redis", Duration::from_secs(60))
        .await;
    assert_eq!(
        cached_in_redis(&url, &prefix, "k").await.as_deref(),
        Some("on redis")
    );
    assert_eq!(
        (logs.warnings(), logs.infos()),
        (1, 1),
        "one warning per outage"
    );
}

/// Accepts connections and never answers, like a hung Redis.
async fn black_hole() -> (u16, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn a_hung_redis_costs_one_timeout_per_probe_not_one_per_call() {
    let (port, accepted) = black_hole().await;
    let mut settings = settings(&loopback_url(port), RateLimitSettings::new(100, 1.0));
    settings.probe_interval = Duration::from_secs(3600);
    let shared = SharedState::connect_with(settings)
        .await
        .expect("boot survives");
    let SharedHealth::Degraded(reason) = shared.health() else {
        panic!("a hung Redis is not healthy: {:?}", shared.health());
    };
    assert!(reason.contains("timed out"), "{reason}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "the startup attempt");

    for i in 0..50 {
        let key = format!("k{i}");
        shared.cache().put(&key, "v", Duration::from_secs(60)).await;
        assert_eq!(shared.cache().get(&key).await.as_deref(), Some("v"));
        assert!(shared.rate_limiter().take("key").await.allowed);
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "no call tried Redis before the next probe"
    );
}
