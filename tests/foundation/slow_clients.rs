//! Slow clients from many addresses: request heads and bodies trickled a
//! byte at a time, and sockets that never send one, from more addresses than
//! the per-address cap can stop. A server with a small connection cap lets a
//! few dozen sockets stand for thousands (the bench's `slow-clients` measures
//! the full scale).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_tests::{spawn_app_configured, TestApp};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::connections::{closed_now, connect_from, probe, trickle};
use super::MAILGUN_KEYS;

/// The connection cap of the shedding tests: a sixteenth of it (2) is the
/// reserve that shedding keeps free.
const SLOTS: usize = 32;
/// Connections each attacking address holds: its per-address cap.
const PER_ADDRESS: usize = 8;
/// Attacking addresses, 127.0.0.10 onwards: 6 x 8 = 48 connections for 32 slots.
const ADDRESSES: u8 = 6;

/// Timeouts long enough that only shedding can free a slot during a test.
fn small_cap_long_timeouts(s: &mut signet_api::Settings) {
    s.limits.max_connections = SLOTS;
    s.limits.max_connections_per_ip = PER_ADDRESS;
    s.limits.header_read_timeout = Duration::from_secs(60);
    s.limits.body_read_timeout = Duration::from_secs(60);
}

/// The process's count of shed connections in `phase`, from `/metrics`
/// (other tests running at once may add some).
async fn shed_count(app: &TestApp, phase: &str) -> u64 {
    let text = app.public_text("/metrics").await;
    let series = format!("signet_connections_shed_total{{phase=\"{phase}\"}}");
    text.lines()
        .filter(|line| line.starts_with(&series))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// `PER_ADDRESS` connections from each attacking address, each sending
/// `first` as it connects.
async fn attackers(port: u16, first: &[u8]) -> Vec<TcpStream> {
    let mut streams = Vec::new();
    for address in 0..ADDRESSES {
        for _ in 0..PER_ADDRESS {
            let mut stream = connect_from(&format!("127.0.0.{}", 10 + address), port).await;
            // A shed connection may be closed already: that is the point.
            let _ = stream.write_all(first).await;
            streams.push(stream);
        }
    }
    streams
}

/// Attackers beyond the slots: at least this many must be shed for the
/// probes to get in.
const OVER: u64 = (ADDRESSES as u64) * (PER_ADDRESS as u64) - SLOTS as u64;

/// Five probes of `/healthz` and the key list from 127.0.0.1, each on a new
/// connection, all answered 200 within a second; their slowest time.
async fn probes_all_answer(app: &TestApp) -> Duration {
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let (health, list) = probe(app).await;
        let health = health.expect("/healthz answers within 1 s while slots are taken");
        let list = list.expect("the key list answers within 1 s while slots are taken");
        slowest = slowest.max(health).max(list);
    }
    slowest
}

/// Sends one byte a second of an endless body on each connection (its head
/// already sent), until the server closes them; counts those still open.
fn trickle_bodies(streams: Vec<TcpStream>) -> (Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let open = Arc::new(AtomicUsize::new(streams.len()));
    let counter = open.clone();
    let task = tokio::spawn(async move {
        let mut streams: Vec<Option<TcpStream>> = streams.into_iter().map(Some).collect();
        loop {
            for slot in &mut streams {
                let Some(stream) = slot else { continue };
                if closed_now(stream) || stream.try_write(b"a").is_err() {
                    *slot = None;
                    counter.fetch_sub(1, Ordering::SeqCst);
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    (open, task)
}

/// A form POST's head announcing a body of `length` bytes.
fn post_head(length: usize) -> String {
    format!(
        "POST /v3/domains HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// The status code of the answer on `stream`, or `None` if it closed without one.
async fn status_of(stream: &mut TcpStream) -> Option<u16> {
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&answer);
    line.split(' ').nth(1)?.parse().ok()
}

#[tokio::test]
async fn heads_trickled_and_idle_sockets_from_many_addresses_are_shed_for_new_clients() {
    let app = spawn_app_configured(small_cap_long_timeouts).await;
    let before = shed_count(&app, "header").await;
    let mut streams = attackers(app.port, b"").await;
    // Half never send a byte, half trickle a request head.
    let trickled = streams.split_off(streams.len() / 2);
    let (trickling, task) = trickle(trickled);
    let idle = streams;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let slowest = probes_all_answer(&app).await;
    task.abort();
    let shed = shed_count(&app, "header").await - before;
    let attack = usize::from(ADDRESSES) * PER_ADDRESS;
    assert!(shed >= OVER, "only {shed} connections shed");
    let mut idle = idle;
    let idle_closed = idle.iter_mut().map(closed_now).filter(|c| *c).count();
    println!(
        "{attack} attackers on {SLOTS} slots: slowest probe {slowest:?}, {shed} shed, \
         {idle_closed} of {} idle closed, {} trickling open",
        idle.len(),
        trickling.load(Ordering::SeqCst)
    );
    // Oldest first: the idle sockets connected first.
    assert!(idle_closed > 0, "no idle socket was shed");
}

#[tokio::test]
async fn bodies_trickled_from_many_addresses_are_shed_for_new_clients() {
    let app = spawn_app_configured(small_cap_long_timeouts).await;
    let before = (
        shed_count(&app, "header").await,
        shed_count(&app, "body").await,
    );
    // The head whole, then the body a byte at a time.
    let streams = attackers(app.port, post_head(100_000).as_bytes()).await;
    let (_open, task) = trickle_bodies(streams);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let slowest = probes_all_answer(&app).await;
    task.abort();
    let heads = shed_count(&app, "header").await - before.0;
    let bodies = shed_count(&app, "body").await - before.1;
    // The server may accept a connection before reading the head sent on
    // the one before: the newest may be shed as heads.
    assert!(heads + bodies >= OVER, "only {heads} + {bodies} shed");
    assert!(bodies > 0, "no upload shed during its body");
    println!(
        "48 uploads on {SLOTS} slots: slowest probe {slowest:?}, shed {bodies} during the body, \
         {heads} before"
    );
}

#[tokio::test]
async fn a_body_that_stops_is_answered_408_after_the_body_read_timeout_not_the_request_timeout() {
    let app = spawn_app_configured(|s| {
        s.limits.body_read_timeout = Duration::from_secs(1);
        s.limits.request_timeout = Duration::from_secs(120);
    })
    .await;
    let mut stream = connect_from("127.0.0.2", app.port).await;
    stream.write_all(post_head(100).as_bytes()).await.unwrap();
    stream.write_all(b"name=exa").await.unwrap();
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(20), status_of(&mut stream))
        .await
        .expect("answered long before the request timeout");
    let waited = started.elapsed();
    assert_eq!(status, Some(408), "after {waited:?}");
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    println!("a stalled body answered 408 after {waited:?}");
}

#[tokio::test]
async fn a_body_sent_slowly_but_steadily_is_read_to_its_end() {
    let app = spawn_app_configured(|s| s.limits.body_read_timeout = Duration::from_secs(3)).await;
    let mut stream = connect_from("127.0.0.2", app.port).await;
    let body = b"name=example.com";
    stream
        .write_all(post_head(body.len()).as_bytes())
        .await
        .unwrap();
    // Longer in all than the body-read timeout, never that long between bytes.
    for chunk in body.chunks(4) {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        stream.write_all(chunk).await.unwrap();
    }
    let status = tokio::time::timeout(Duration::from_secs(20), status_of(&mut stream))
        .await
        .expect("answered");
    // No credentials: the body was read and the request reached the auth layer.
    assert_eq!(status, Some(401));
}

#[tokio::test]
async fn routes_that_read_no_body_answer_without_waiting_for_one() {
    let app = spawn_app_configured(|s| {
        s.limits.body_read_timeout = Duration::from_secs(60);
        s.limits.request_timeout = Duration::from_secs(120);
    })
    .await;
    let credentials = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("api:{}", app.api_key))
    };
    for (path, auth) in [
        ("/healthz", ""),
        ("/readyz", ""),
        ("/metrics", ""),
        (MAILGUN_KEYS, credentials.as_str()),
    ] {
        let mut stream = connect_from("127.0.0.2", app.port).await;
        let authorization = if auth.is_empty() {
            String::new()
        } else {
            format!("Authorization: Basic {auth}\r\n")
        };
        // A body announced and never sent.
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{authorization}Content-Length: 1000\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let status = tokio::time::timeout(Duration::from_secs(10), status_of(&mut stream))
            .await
            .unwrap_or_else(|_| panic!("GET {path} waited for a body it does not read"));
        assert_eq!(status, Some(200), "GET {path}");
        println!(
            "GET {path} with a body never sent answered in {:?}",
            started.elapsed()
        );
    }
}
