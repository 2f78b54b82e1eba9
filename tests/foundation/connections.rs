//! Hostile connections: sockets that never send a byte, request heads
//! trickled a byte a second, idle keep-alive connections and one address
//! opening too many. Attackers connect from other loopback addresses than the
//! probes (127.0.0.1), as other clients would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::FutureExt as _;
use reqwest::StatusCode;
use signet_tests::{spawn_app_configured, spawn_app_with, AppOptions, TestApp};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use super::MAILGUN_KEYS;

/// The shortened header-read timeout of these tests.
const HEADER_READ: Duration = Duration::from_secs(2);
/// The shortened idle timeout of these tests.
const IDLE: Duration = Duration::from_secs(2);
/// Time the server may take beyond a timeout to close a connection.
const MARGIN: Duration = Duration::from_secs(3);

fn short_timeouts(s: &mut signet_api::Settings) {
    s.limits.header_read_timeout = HEADER_READ;
    s.limits.idle_timeout = IDLE;
}

/// A connection to the app from `source`, a loopback address.
pub(super) async fn connect_from(source: &str, port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    let source: std::net::IpAddr = source.parse().unwrap();
    socket.bind((source, 0).into()).unwrap();
    socket
        .connect(([127, 0, 0, 1], port).into())
        .await
        .expect("the server accepts connections")
}

/// Reads until the server closes `stream` (end of stream or a reset), and
/// says whether it did within `limit`.
pub(super) async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let read_to_end = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_to_end).await.is_ok()
}

/// Whether the server has closed `stream` already, without waiting.
/// Unconstrained: tokio's cooperative budget would otherwise report every
/// socket after the 128th as not ready.
pub(super) fn closed_now(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    let read = tokio::task::unconstrained(stream.read(&mut buf));
    matches!(read.now_or_never(), Some(Ok(0) | Err(_)))
}

/// `/healthz` and the authenticated list, each on a new connection, with the
/// time each took; `None` when it did not answer 200 within a second.
pub(super) async fn probe(app: &TestApp) -> (Option<Duration>, Option<Duration>) {
    let timed = |request: reqwest::RequestBuilder| async move {
        let started = Instant::now();
        match tokio::time::timeout(Duration::from_secs(1), request.send()).await {
            Ok(Ok(response)) if response.status() == StatusCode::OK => Some(started.elapsed()),
            _ => None,
        }
    };
    let health = timed(reqwest::Client::new().get(app.url("/healthz"))).await;
    let list = timed(
        reqwest::Client::new()
            .get(app.url(MAILGUN_KEYS))
            .basic_auth("api", Some(&app.api_key)),
    )
    .await;
    (health, list)
}

/// The process's counts of connections refused by the per-address cap and
/// closed by a timeout, from `/metrics` (other tests running at once may add
/// a few).
async fn connection_counts(app: &TestApp) -> (u64, u64) {
    let text = app.public_text("/metrics").await;
    let total = |name: &str| -> u64 {
        text.lines()
            .filter(|line| line.starts_with(name))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    (
        total("signet_connections_refused_total"),
        total("signet_connections_timed_out_total"),
    )
}

/// Opens up to `count` connections from `source`, a hundred at a time, for
/// at most ten seconds: a connection the server's backlog never takes is
/// simply not held (a server without protection stops accepting).
async fn open_many(source: &str, port: u16, count: usize) -> Vec<TcpStream> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut streams = Vec::with_capacity(count);
    for start in (0..count).step_by(100) {
        let batch = (start..count.min(start + 100))
            .map(|_| tokio::time::timeout_at(deadline, connect_from(source, port)));
        streams.extend(join_all(batch).await.into_iter().filter_map(Result::ok));
    }
    streams
}

/// Trickles a request head that never ends, one byte a second on each
/// connection, until the server closes them; counts those still open.
pub(super) fn trickle(streams: Vec<TcpStream>) -> (Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let open = Arc::new(AtomicUsize::new(streams.len()));
    let counter = open.clone();
    let task = tokio::spawn(async move {
        let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ";
        let mut streams: Vec<Option<TcpStream>> = streams.into_iter().map(Some).collect();
        let mut sent = 0;
        loop {
            let byte = head.get(sent).copied().unwrap_or(b'a');
            for slot in &mut streams {
                let Some(stream) = slot else { continue };
                if closed_now(stream) || stream.try_write(&[byte]).is_err() {
                    *slot = None;
                    counter.fetch_sub(1, Ordering::SeqCst);
                }
            }
            sent += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    (open, task)
}

/// Open files the flood needs in this one process: both ends of its 3,100
/// connections, plus the server's and the test's own.
const FLOOD_FILES: u64 = 8_000;

/// Raises this process's soft limit on open files towards the hard limit
/// (many systems start at 1,024), failing clearly if the hard limit is lower.
fn raise_open_file_limit(needed: u64) {
    let got = rlimit::increase_nofile_limit(needed).expect("the open-file limit can be read");
    assert!(
        got >= needed,
        "the flood needs {needed} open files and the hard limit allows {got}: raise `ulimit -Hn`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slowloris_floods_neither_starve_other_clients_nor_stay_open() {
    raise_open_file_limit(FLOOD_FILES);
    let app = spawn_app_configured(short_timeouts).await;
    let before = connection_counts(&app).await;
    let attack = Instant::now();
    let mut idle = open_many("127.0.0.2", app.port, 2000).await;
    let idle_connected = Instant::now();
    let slow = open_many("127.0.0.3", app.port, 1100).await;
    let connected = (attack.elapsed(), idle.len(), slow.len());
    let (slow_open, slow_task) = trickle(slow);

    let (mut health_max, mut list_max) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..5 {
        let (health, list) = probe(&app).await;
        let health = health.expect("/healthz answers within 1 s under the flood");
        let list = list.expect("the list answers within 1 s under the flood");
        health_max = health_max.max(health);
        list_max = list_max.max(list);
    }
    assert_eq!(
        (connected.1, connected.2),
        (2000, 1100),
        "attack not all connected"
    );
    let limit = (idle_connected + HEADER_READ + MARGIN).saturating_duration_since(Instant::now());
    let closed = join_all(idle.iter_mut().map(|s| closed_within(s, limit))).await;
    let all_idle_closed = attack.elapsed();
    let still_open = closed.iter().filter(|closed| !**closed).count();
    assert_eq!(still_open, 0, "idle sockets open after {all_idle_closed:?}");

    let deadline = Instant::now() + MARGIN;
    while slow_open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    slow_task.abort();
    assert_eq!(slow_open.load(Ordering::SeqCst), 0, "slowloris left open");
    let after = connection_counts(&app).await;
    let (refused, timed_out) = (after.0 - before.0, after.1 - before.1);
    println!(
        "flood: 2000 idle + 1100 slowloris connected in {:?}; \
         max /healthz {health_max:?}, max list {list_max:?} over 5 probes; \
         {refused} connections closed at once by the per-address cap, {timed_out} by timeouts; \
         all idle closed {all_idle_closed:?} after the attack began",
        connected.0
    );
}

#[tokio::test]
async fn a_slowloris_connection_is_closed_after_the_header_read_timeout() {
    let app = spawn_app_configured(short_timeouts).await;
    let started = Instant::now();
    let (open, task) = trickle(vec![connect_from("127.0.0.2", app.port).await]);
    while open.load(Ordering::SeqCst) > 0 && started.elapsed() < HEADER_READ + MARGIN {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    let elapsed = started.elapsed();
    assert_eq!(
        open.load(Ordering::SeqCst),
        0,
        "still open after {elapsed:?}"
    );
    // Closed by the timeout, not at once (it wrote a byte every second).
    assert!(
        elapsed >= HEADER_READ - Duration::from_millis(100),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_keep_alive_connection_idle_after_a_request_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(AppOptions {
        // The header-read timeout longer than the idle one: this is the idle limit.
        configure: Some(|s| {
            s.limits.header_read_timeout = Duration::from_secs(30);
            s.limits.idle_timeout = IDLE;
        }),
        ..AppOptions::default()
    })
    .await;
    let mut stream = connect_from("127.0.0.2", app.port).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    // A complete answer ends with the body `{"status":"alive"}`.
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(b"}") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before answering");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
    let answered = Instant::now();
    assert!(
        closed_within(&mut stream, IDLE + MARGIN).await,
        "an idle keep-alive connection stayed open"
    );
    let idled = answered.elapsed();
    assert!(idled >= IDLE - Duration::from_millis(100), "{idled:?}");
}

#[tokio::test]
async fn an_address_over_its_cap_has_its_extra_connections_closed_while_others_are_served() {
    let app = spawn_app_configured(|s| s.limits.max_connections_per_ip = 4).await;
    let mut held = open_many("127.0.0.2", app.port, 4).await;
    for _ in 0..2 {
        let mut extra = connect_from("127.0.0.2", app.port).await;
        assert!(
            closed_within(&mut extra, Duration::from_secs(1)).await,
            "a fifth connection from one address stayed open"
        );
    }
    let (health, list) = probe(&app).await;
    assert!(
        health.is_some() && list.is_some(),
        "another address is not served"
    );
    for stream in &mut held {
        assert!(
            !closed_now(stream),
            "a connection within the cap was closed"
        );
    }

    // A closed connection gives its address a slot back.
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect_from("127.0.0.2", app.port).await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = again.read_to_end(&mut answer).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}
