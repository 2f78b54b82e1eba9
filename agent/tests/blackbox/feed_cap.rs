//! The feed's body is read up to `--max-feed-bytes` and no further: a
//! 1 GiB body, streamed by the server, leaves the agent's memory bounded
//! and the last good set in place.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::support::{feed, stderr, sync_once, Answer, FeedServer};

/// The files under `dir` and their contents.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(contents(&path));
        } else {
            all.push((path.display().to_string(), fs::read(&path).unwrap()));
        }
    }
    all.sort();
    all
}

/// The peak resident memory of `pid` so far, in KiB, from `/proc`.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_feed_is_cut_at_the_cap_with_bounded_memory_and_the_last_good_set_kept() {
    let server = FeedServer::start(Answer::Feed(feed(&[("a.example", "s1")]))).await;
    let work = tempfile::tempdir().unwrap();
    let to = format!("dir:{}", work.path().join("keys").display());
    let out = sync_once(&server.url, &["--to", &to]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let good = contents(work.path());

    server.set(Answer::Endless(1 << 30));
    let mut agent = tokio::process::Command::new(env!("CARGO_BIN_EXE_signet-agent"))
        .args(["sync", "--once", "--url", &server.url, "--to", &to])
        .env("SIGNET_FLEET_TOKEN", "sgf_test")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = agent.id().unwrap();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = agent.try_wait().unwrap() {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let out = agent.wait_with_output().await.unwrap();
    let said = stderr(&out);
    assert!(!status.success(), "the 1 GiB feed was taken: {said}");
    assert!(
        said.contains("the feed's body is over --max-feed-bytes (67108864 bytes)"),
        "{said}"
    );
    assert_eq!(contents(work.path()), good, "the last good set stays");
    eprintln!("peak RSS of the agent on a 1 GiB feed: {} MiB", peak / 1024);
    // The body it may hold (64 MiB), a copy while its buffer grows, the
    // program: far below the 2.2 GB a whole 1 GiB body took.
    assert!(peak > 0 && peak < 256 * 1024, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_announced_over_the_cap_is_refused_without_reading_it() {
    let big = feed(&[("a.example", &"s".repeat(60))]).replace("MIIB", &"A".repeat(2 << 20));
    let server = FeedServer::start(Answer::Feed(big)).await;
    let work = tempfile::tempdir().unwrap();
    let to = format!("dir:{}", work.path().join("keys").display());
    let capped = sync_once(&server.url, &["--to", &to, "--max-feed-bytes", "1MiB"]).await;
    assert!(!capped.status.success());
    assert!(
        stderr(&capped).contains("over --max-feed-bytes (1048576 bytes)"),
        "{}",
        stderr(&capped)
    );
    assert!(!work.path().join("keys").exists(), "nothing written");
    let whole = sync_once(&server.url, &["--to", &to, "--max-feed-bytes", "4MiB"]).await;
    assert!(whole.status.success(), "{}", stderr(&whole));
}
