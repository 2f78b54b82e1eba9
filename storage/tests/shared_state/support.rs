//! Redis for the tests: the shared one from the environment, or a private
//! `redis-server` that a test may kill and restart.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use redis::aio::ConnectionManager;
use signet_storage::shared::redis::connect;
use signet_storage::shared::{RateLimitSettings, SharedSettings};
use tokio::process::{Child, Command};
use tokio::time::Instant;

const REDIS_SERVER: &str = "/usr/bin/redis-server";

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true")
}

/// `SIGNET_TEST_REDIS_URL`, or `None` (the test skips) when unset outside CI.
pub fn redis_url() -> Option<String> {
    match std::env::var("SIGNET_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if on_ci() => panic!("CI=true but SIGNET_TEST_REDIS_URL is not set"),
        Err(_) => {
            eprintln!("skipped: SIGNET_TEST_REDIS_URL is not set");
            None
        }
    }
}

/// A key prefix no other test (or run) uses.
pub fn unique_prefix() -> String {
    format!("signet-test:{:016x}:", rand::random::<u64>())
}

/// A connection to `url`, failing the test if Redis does not answer.
pub async fn connection(url: &str) -> ConnectionManager {
    let client = redis::Client::open(url).expect("a valid Redis URL");
    connect(&client, Duration::from_secs(2))
        .await
        .unwrap_or_else(|e| panic!("Redis at {url} is unreachable: {e}"))
}

/// While Redis is down, one call per this interval probes it.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// Settings for tests: a unique prefix and quick probes.
pub fn settings(url: &str, limits: RateLimitSettings) -> SharedSettings {
    let mut settings = SharedSettings::new(Some(url), limits);
    settings.key_prefix = unique_prefix();
    settings.probe_interval = PROBE_INTERVAL;
    settings
}

/// Polls `done` every 10 ms until it holds, failing after `within`.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A port on loopback that nothing listens on (right now).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("a local address").port()
}

/// A `redis-server` child process on loopback, killed when dropped.
pub struct PrivateRedis {
    port: u16,
    child: Child,
}

impl PrivateRedis {
    /// Whether private servers can run here; fails on CI when they cannot.
    pub fn available() -> bool {
        let found = Path::new(REDIS_SERVER).exists();
        assert!(found || !on_ci(), "CI=true but {REDIS_SERVER} is missing");
        if !found {
            eprintln!("skipped: {REDIS_SERVER} is missing");
        }
        found
    }

    /// Starts a server without persistence on `port` and waits for PING.
    pub async fn start(port: u16) -> Self {
        let child = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start redis-server");
        let server = Self { port, child };
        let client = redis::Client::open(server.url()).expect("a valid URL");
        eventually(Duration::from_secs(10), "redis-server answers PING", || {
            let client = client.clone();
            async move {
                let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
                    return false;
                };
                redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .is_ok()
            }
        })
        .await;
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        redis_url_for(self.port)
    }

    /// Kills the server and reaps it.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill redis-server");
    }
}

/// The URL of a Redis on loopback `port`.
pub fn redis_url_for(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}
