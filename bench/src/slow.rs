//! `signet-bench slow-clients`: issue 19's attack at full scale, on
//! loopback only. 2,000 connections trickling request heads, then 2,000
//! trickling bodies, each a byte a second from 40 addresses (127.0.0.10 to
//! .49), then 2,000 idle ones from 8 addresses (127.0.0.60 to .67); each
//! attacker reconnects a second after the server closes it. Meanwhile a
//! normal client on 127.0.0.1 asks for `/healthz` and the key list, each on
//! a new connection, and the table gives its p50, p99 and max. Every phase
//! stops by itself after `--seconds`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use crate::backend::Database;
use crate::processes::Signet;
use crate::suite::{basic, master_key};
use crate::BackendKind;

/// Connections in each phase of the attack.
const CONNECTIONS: usize = 2_000;
/// Longest the normal client waits for an answer; longer counts as this.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time the attackers get to connect before the normal client is timed.
const RAMP: Duration = Duration::from_secs(3);

/// What each attacking connection does.
#[derive(Debug, Clone, Copy)]
enum Attack {
    /// Sends a request head that never ends, a byte a second.
    Heads,
    /// Sends a whole POST head announcing 100,000 bytes, then the body a byte a second.
    Bodies,
    /// Connects and sends nothing.
    Idle,
}

impl Attack {
    fn name(self) -> &'static str {
        match self {
            Self::Heads => "heads at 1 byte/s, 40 addresses",
            Self::Bodies => "bodies at 1 byte/s, 40 addresses",
            Self::Idle => "idle, 8 addresses",
        }
    }

    /// The first loopback address and how many the attack uses.
    fn addresses(self) -> (u8, u8) {
        match self {
            Self::Heads | Self::Bodies => (10, 40),
            Self::Idle => (60, 8),
        }
    }

    /// Sent at once on connecting.
    fn opening(self) -> &'static [u8] {
        match self {
            Self::Heads | Self::Idle => b"",
            Self::Bodies => {
                b"POST /v3/domains HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                  Content-Type: application/x-www-form-urlencoded\r\n\
                  Content-Length: 100000\r\n\r\n"
            }
        }
    }

    /// Sent a byte a second after the opening; `None` sends nothing.
    fn trickle(self) -> Option<&'static [u8]> {
        match self {
            Self::Heads => Some(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "),
            Self::Bodies => Some(b"name="),
            Self::Idle => None,
        }
    }
}

/// Starts a server with its default connection limits (rate limits and the
/// DNS re-check off, so that only connections are measured), runs the three
/// attacks in turn and prints the normal client's times. `max_connections`
/// replaces the server's default cap, to see shedding at work.
pub async fn run(
    bin: &std::path::Path,
    seconds: Duration,
    max_connections: Option<usize>,
) -> anyhow::Result<()> {
    // The attackers' ends of the connections, in this process.
    let files = rlimit::increase_nofile_limit(3 * CONNECTIONS as u64)?;
    println!("open-file limit of the bench: {files}");
    let db = Database::fresh(BackendKind::Sqlite, "")
        .await?
        .context("a SQLite database")?;
    let logs = tempfile::tempdir()?;
    let master = master_key()?;
    let signet = Signet {
        bin,
        database: &db,
        master_key: &master,
        log_dir: logs.path(),
    };
    let (_, api_key) = signet.create_tenant("slow").await?;
    let cap = max_connections.map(|n| n.to_string());
    let mut settings = vec![
        ("SIGNET_RATE_LIMIT_CAPACITY", "0"),
        ("SIGNET_DNS_RECHECK_INTERVAL", "0"),
    ];
    if let Some(cap) = &cap {
        settings.push(("SIGNET_MAX_CONNECTIONS", cap));
    }
    let server = signet.serve_with(&settings).await?;
    let port: u16 = server
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .context("the server's port")?;
    println!(
        "server {} ({}), max connections {}, {seconds:?} per attack",
        server.base,
        bin.display(),
        cap.as_deref().unwrap_or("by default")
    );
    println!("\n| attack | attackers connected (peak) | /healthz p50 / p99 / max | key list p50 / p99 / max | failed |");
    println!("|---|---|---|---|---|");
    for attack in [Attack::Heads, Attack::Bodies, Attack::Idle] {
        let line = phase(attack, port, &server.base, &api_key, seconds).await;
        println!("{line}");
    }
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await?
        .text()
        .await?;
    println!();
    for line in metrics.lines() {
        if line.starts_with("signet_connections_") {
            println!("{line}");
        }
    }
    server.stop().await
}

/// One attack of `seconds` with the normal client timed after the ramp; its
/// table row.
async fn phase(attack: Attack, port: u16, base: &str, api_key: &str, seconds: Duration) -> String {
    let until = Instant::now() + seconds;
    let open = Arc::new(AtomicUsize::new(0));
    let (first, count) = attack.addresses();
    let attackers: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let source = Ipv4Addr::new(127, 0, 0, first + (i % usize::from(count)) as u8);
            // Spread over the first second, so a phase does not start as one burst.
            let start = Duration::from_millis((i % 1000) as u64);
            tokio::spawn(attacker(attack, source, port, start, until, open.clone()))
        })
        .collect();
    tokio::time::sleep(RAMP).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(PROBE_TIMEOUT)
        .build()
        .expect("a client");
    let (mut health, mut list, mut failed) = (Vec::new(), Vec::new(), 0);
    let mut peak = 0;
    while Instant::now() < until {
        peak = peak.max(open.load(Ordering::SeqCst));
        for (times, path, auth) in [
            (&mut health, "/healthz", None),
            (&mut list, "/v1/dkim/keys", Some(basic(api_key))),
        ] {
            let mut request = client.get(format!("{base}{path}"));
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            let started = Instant::now();
            let ok = request.send().await.is_ok_and(|r| r.status().is_success());
            let took = started.elapsed().min(PROBE_TIMEOUT);
            if !ok {
                failed += 1;
            }
            times.push(took);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for task in attackers {
        task.abort();
    }
    format!(
        "| {} | {peak} | {} | {} | {failed} of {} |",
        attack.name(),
        quantiles(&mut health),
        quantiles(&mut list),
        health.len() + list.len()
    )
}

/// One attacking connection, reconnected a second after each close, until `until`.
async fn attacker(
    attack: Attack,
    source: Ipv4Addr,
    port: u16,
    start: Duration,
    until: Instant,
    open: Arc<AtomicUsize>,
) {
    tokio::time::sleep(start).await;
    while Instant::now() < until {
        if let Ok(mut stream) = connect(source, port).await {
            open.fetch_add(1, Ordering::SeqCst);
            hold(attack, &mut stream, until).await;
            open.fetch_sub(1, Ordering::SeqCst);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Keeps `stream` busy as `attack` says until the server closes it or `until`.
async fn hold(attack: Attack, stream: &mut TcpStream, until: Instant) {
    if stream.write_all(attack.opening()).await.is_err() {
        return;
    }
    let mut buf = [0u8; 512];
    let Some(bytes) = attack.trickle() else {
        let _ = tokio::time::timeout_at(until.into(), stream.read(&mut buf)).await;
        return;
    };
    let mut sent = 0;
    while Instant::now() < until {
        let byte = bytes.get(sent).copied().unwrap_or(b'a');
        if stream.write_all(&[byte]).await.is_err() {
            return;
        }
        sent += 1;
        // A read that ends (close or answer) ends the connection's turn.
        if let Ok(Ok(_) | Err(_)) =
            tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await
        {
            return;
        }
    }
}

async fn connect(source: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let target = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    tokio::time::timeout(Duration::from_secs(5), socket.connect(target))
        .await
        .map_err(|_| std::io::ErrorKind::TimedOut)?
}

/// `p50 / p99 / max` in milliseconds.
fn quantiles(times: &mut [Duration]) -> String {
    if times.is_empty() {
        return "-".into();
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    format!(
        "{} / {} / {}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times[times.len() - 1])
    )
}
