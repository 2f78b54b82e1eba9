//! Verification latency against the loopback server: a benchmark, not a
//! check. Run it optimised and read the figures it prints:
//! `cargo test -p signet-tests --release dns::latency -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::stream::{self, StreamExt as _};
use signet_domain::ports::DnsLookup;
use signet_domain::{DnsStatus, KeyAlgorithm};
use signet_tests::TestDns;

use super::{large_key, record, resolver, split, NAME};

const LOOKUPS: usize = 1000;
const IN_FLIGHT: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn verification_latency() {
    let key = large_key().await;
    let public_key = key.public_key();
    let dns = TestDns::start().await;
    dns.set_txt(NAME, vec![split(&record(key))]);
    let lookup = resolver(&dns);

    let verify = || async {
        let started = Instant::now();
        let check = lookup
            .txt(NAME)
            .await
            .check(KeyAlgorithm::Rsa, &public_key, Utc::now());
        assert_eq!(check.status, DnsStatus::Valid);
        started.elapsed()
    };
    for _ in 0..50 {
        verify().await;
    }

    let mut one_at_a_time = Vec::with_capacity(LOOKUPS);
    for _ in 0..LOOKUPS {
        one_at_a_time.push(verify().await);
    }
    report("one at a time", one_at_a_time);

    let started = Instant::now();
    let concurrent: Vec<Duration> = stream::iter(0..LOOKUPS)
        .map(|_| verify())
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let elapsed = started.elapsed();
    report(&format!("{IN_FLIGHT} in flight"), concurrent);
    println!(
        "  throughput: {:.0} verifications/s",
        LOOKUPS as f64 / elapsed.as_secs_f64()
    );
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "verification of a 2048-bit record, {} lookups, {label}: p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0),
    );
}
