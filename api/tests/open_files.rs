//! `signet serve` raises its open-file soft limit at start to fit
//! `SIGNET_MAX_CONNECTIONS` plus a reserve, as far as the hard limit allows.

use signet_testkit::signet_process::SignetServer;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::Command;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");

/// Descriptors the server keeps beside its connections.
const RESERVED: u64 = 256;

/// `signet serve` in `dir`, started by a shell that first runs `limits`
/// (`ulimit -Sn 512`, ...), with no `SIGNET_*` variable from outside.
fn serve_under(dir: &TempDir, limits: &str, max_connections: &str) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", &format!("{limits} && exec \"$0\" serve"), SIGNET])
        .current_dir(dir.path())
        .env("SIGNET_MAX_CONNECTIONS", max_connections)
        .kill_on_drop(true);
    for (name, _) in std::env::vars() {
        if name.starts_with("SIGNET_") {
            command.env_remove(name);
        }
    }
    command
}

/// The server answers `/healthz`: its serve loop, which sets the limit, runs.
async fn healthz(base_url: &str) {
    let address = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}

/// The soft and hard open-file limits of process `pid`.
fn open_file_limits(pid: u32) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

#[tokio::test]
async fn a_low_soft_limit_is_raised_to_fit_the_connection_cap() {
    let dir = TempDir::new().unwrap();
    let server = SignetServer::start(serve_under(&dir, "ulimit -Sn 512", "2000")).await;
    healthz(&server.base_url).await;
    let (soft, hard) = open_file_limits(server.child.id().unwrap());
    assert_eq!(soft, (2000 + RESERVED).min(hard), "hard limit {hard}");
}

#[tokio::test]
async fn a_hard_limit_below_the_cap_is_reached_and_the_server_still_serves() {
    let dir = TempDir::new().unwrap();
    let server = SignetServer::start(serve_under(
        &dir,
        "ulimit -Sn 512 && ulimit -Hn 1024",
        "100000",
    ))
    .await;
    healthz(&server.base_url).await;
    let (soft, hard) = open_file_limits(server.child.id().unwrap());
    assert_eq!((soft, hard), (1024, 1024));
}
