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

use crate::{on_ci, skip};

/// The variable naming the shared Redis server.
pub const REDIS_URL_VAR: &str = "SIGNET_TEST_REDIS_URL";
const REDIS_SERVER: &str = "/usr/bin/redis-server";
/// How long a private server may take to answer after it is spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How many free ports [`PrivateRedis::start`] tries, should another process
/// take the port between its choice and the server's bind.
const START_ATTEMPTS: usize = 5;

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

    /// `SIGNET_TEST_REDIS_URL` with a fresh prefix; `None` (the test skips,
    /// saying so) when unset outside CI.
    pub fn from_env() -> Option<Self> {
        match std::env::var(REDIS_URL_VAR) {
            Ok(url) if !url.is_empty() => Some(Self::new(url)),
            _ if on_ci() => panic!("CI=true but {REDIS_URL_VAR} is not set"),
            _ => {
                skip(&format!("{REDIS_URL_VAR} is not set"));
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

/// The URL of a Redis on loopback `port`.
pub fn loopback_url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
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
            skip(&format!("{REDIS_SERVER} is missing"));
        }
        found
    }

    /// Starts a server on a free port, trying another port if this one is
    /// taken before the server binds it.
    pub async fn start() -> Self {
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            match Self::launch(port).await {
                Ok(server) => return server,
                Err(reason) => eprintln!("redis-server on port {port}: {reason}; another port"),
            }
        }
        panic!("redis-server did not start on any of {START_ATTEMPTS} free ports");
    }

    /// Starts a server on `port` (a restart after [`Self::kill`]); fails the
    /// test if it cannot have the port.
    pub async fn start_on(port: u16) -> Self {
        Self::launch(port)
            .await
            .unwrap_or_else(|reason| panic!("redis-server on port {port}: {reason}"))
    }

    /// Spawns a server on `port` and waits until it answers there as itself:
    /// its `INFO server` names the child's pid. The child is killed when this
    /// fails.
    async fn launch(port: u16) -> Result<Self, String> {
        let child = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        let mut server = Self { port, child };
        let pid = server.child.id().expect("a child just spawned has a pid");
        let client = redis::Client::open(server.url()).expect("a valid URL");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match server.child.try_wait() {
                Ok(Some(status)) => return Err(format!("exited ({status}): is the port taken?")),
                Ok(None) => {}
                Err(e) => return Err(format!("cannot be waited for: {e}")),
            }
            match server_pid(&client).await {
                Some(answered) if answered == pid => return Ok(server),
                Some(other) => return Err(format!("another Redis (pid {other}) answers there")),
                None if Instant::now() >= deadline => {
                    return Err(format!("no answer within {START_TIMEOUT:?}"))
                }
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        loopback_url(self.port)
    }

    /// Kills the server and reaps it.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("redis-server is killed");
    }
}

/// The `process_id` of the Redis answering at `client`, if one answers
/// within a second.
async fn server_pid(client: &redis::Client) -> Option<u32> {
    let ask = async {
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await
            .ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix("process_id:"))
            .and_then(|pid| pid.trim().parse().ok())
    };
    tokio::time::timeout(Duration::from_secs(1), ask)
        .await
        .ok()
        .flatten()
}
