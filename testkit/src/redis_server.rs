//! Redis for tests: the shared server named by `SIGNET_TEST_REDIS_URL`, or a
//! private `redis-server` child process on a free port that a test may kill
//! and start again. Under `CI=true` a missing server is a failure, never a
//! silent skip.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::Instant;

/// The variable naming the shared Redis server.
pub const REDIS_URL_VAR: &str = "SIGNET_TEST_REDIS_URL";
const REDIS_SERVER: &str = "/usr/bin/redis-server";

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true")
}

/// A Redis for one test: its URL and a key prefix of the test's own.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://...`.
    pub url: String,
    /// A prefix no other test (or run) uses.
    pub key_prefix: String,
}

impl RedisConfig {
    /// The server at `url`, with a fresh prefix.
    pub fn new(url: String) -> Self {
        Self {
            url,
            key_prefix: unique_prefix(),
        }
    }

    /// `SIGNET_TEST_REDIS_URL` with a fresh prefix; `None` (the test skips)
    /// when unset outside CI.
    pub fn from_env() -> Option<Self> {
        match std::env::var(REDIS_URL_VAR) {
            Ok(url) if !url.is_empty() => Some(Self::new(url)),
            _ if on_ci() => panic!("CI=true but {REDIS_URL_VAR} is not set"),
            _ => {
                eprintln!("skipped: {REDIS_URL_VAR} is not set");
                None
            }
        }
    }
}

/// A Redis key prefix no other test (or run) uses.
pub fn unique_prefix() -> String {
    format!("signet-test:{:016x}:", rand::random::<u64>())
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("a local address").port()
}

/// A `redis-server` child process on loopback, without persistence, killed
/// when dropped.
pub struct PrivateRedis {
    port: u16,
    child: Child,
}

impl PrivateRedis {
    /// Whether private servers can run here; fails under CI when they cannot.
    pub fn available() -> bool {
        let found = Path::new(REDIS_SERVER).exists();
        assert!(found || !on_ci(), "CI=true but {REDIS_SERVER} is missing");
        if !found {
            eprintln!("skipped: {REDIS_SERVER} is missing");
        }
        found
    }

    /// Starts a server on a free port.
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// Starts a server on `port` and waits until it answers PING.
    pub async fn start_on(port: u16) -> Self {
        let child = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        let server = Self { port, child };
        let client = redis::Client::open(server.url()).expect("a valid URL");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                let pong: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut conn).await;
                if pong.is_ok() {
                    return server;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {port} did not answer PING within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server and reaps it.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("redis-server is killed");
    }
}
