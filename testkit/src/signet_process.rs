//! The `signet` binary as a child process: commands with a clean
//! environment, run with a deadline, and `signet serve` waited for until it
//! listens. The binary is the calling test's `env!("CARGO_BIN_EXE_signet")`.

use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::within;

/// How long one command, or a server's start, may take: generous, for a
/// loaded two-core machine.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// `signet ARGS` with the binary at `bin`: no `SIGNET_*` variable from
/// outside, `RUST_LOG=info`, and killed if dropped before it ends.
pub fn signet(bin: &str, args: &[&str]) -> Command {
    let mut command = Command::new(bin);
    command
        .args(args)
        .env("RUST_LOG", "info")
        .kill_on_drop(true);
    for (name, _) in std::env::vars() {
        if name.starts_with("SIGNET_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs `command` to its end and collects its output; fails the test when
/// it cannot start or takes longer than [`PROCESS_TIMEOUT`].
pub async fn output(mut command: Command) -> Output {
    let what = format!("{:?} ends", command.as_std().get_args().collect::<Vec<_>>());
    within(PROCESS_TIMEOUT, &what, command.output())
        .await
        .expect("signet runs")
}

/// A running `signet serve`, killed when dropped.
pub struct SignetServer {
    /// The process.
    pub child: Child,
    /// `http://ADDRESS` it listens on.
    pub base_url: String,
    /// Every line it has logged so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl SignetServer {
    /// Spawns `command` (a `signet serve`) on a free loopback port with JSON
    /// logs, and waits for its `listening` line; fails the test if the server
    /// exits first or does not listen within [`PROCESS_TIMEOUT`].
    pub async fn start(mut command: Command) -> Self {
        let mut child = command
            .env("SIGNET_LISTEN", "127.0.0.1:0")
            .env("SIGNET_LOG_FORMAT", "json")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("signet serve starts");
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let address = within(PROCESS_TIMEOUT, "signet serve logs `listening`", async {
            let mut seen = Vec::new();
            loop {
                let Some(line) = lines.next_line().await.expect("stderr is readable") else {
                    panic!("signet serve exited before listening:\n{}", seen.join("\n"));
                };
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    if event["fields"]["message"] == "listening" {
                        let address = event["fields"]["address"].as_str();
                        break address.expect("an address").to_owned();
                    }
                }
                seen.push(line);
            }
        })
        .await;
        // Keep draining stderr so the server never blocks on a full pipe,
        // and keep what it says for a test to read.
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                kept.lock().expect("the log is not poisoned").push(line);
            }
        });
        Self {
            child,
            base_url: format!("http://{address}"),
            log,
        }
    }

    /// What the server has logged since it listened, a line each.
    pub fn log(&self) -> String {
        self.log.lock().expect("the log is not poisoned").join("\n")
    }
}
