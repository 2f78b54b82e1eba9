//! Issue 20's DNS figures, with real software on loopback: queries per
//! second and latency under dnsperf, the server's memory, and the time of a
//! TSIG-signed AXFR, for a zone of N DKIM-sized TXT records: Knot DNS
//! serving them from a zone file, the yardstick, then Signet serving as
//! many delegated keys.

mod dnsperf;
mod signet;
mod zone;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use signet_testkit::{Knot, TsigKey};
use tokio::process::Command;

pub use dnsperf::{Measured, Run};
pub use zone::{txt_zone, write_names, write_queries};

/// The zone the benchmark serves.
pub const ZONE: &str = "bench.test.";

/// What the DNS section measures and how hard.
#[derive(Debug, Clone, clap::Args)]
pub struct DnsOptions {
    /// TXT records in the zone.
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// Length of the dnsperf run (`10s`, or a number of seconds).
    #[arg(long, default_value = "10s", value_parser = crate::seconds)]
    pub duration: Duration,
    /// dnsperf's simulated clients.
    #[arg(long, default_value_t = 8)]
    pub clients: u32,
    /// dnsperf's queries outstanding at once.
    #[arg(long, default_value_t = 100)]
    pub outstanding: u32,
}

/// One server's figures.
#[derive(Debug)]
pub struct Figures {
    /// Which server.
    pub server: String,
    /// The dnsperf run.
    pub load: Measured,
    /// Resident memory after the run, in KiB.
    pub rss_kib: Option<u64>,
    /// How long the AXFR took.
    pub axfr: Duration,
}

/// Measures the server at `addr` (process `pid`) serving [`ZONE`] as
/// [`txt_zone`] made it: dnsperf with the `queries` file, then its memory,
/// then an AXFR signed with `key` that must carry `axfr_records` records.
pub async fn measure(
    server: &str,
    addr: SocketAddr,
    pid: u32,
    queries: &Path,
    key: &TsigKey,
    opts: &DnsOptions,
    axfr_records: usize,
) -> anyhow::Result<Figures> {
    let load = Run {
        server: addr,
        queries,
        duration: opts.duration,
        clients: opts.clients,
        outstanding: opts.outstanding,
    }
    .measure()
    .await
    .with_context(|| format!("dnsperf against {server}"))?;
    if !load.codes.starts_with("NOERROR") || load.codes.contains(',') {
        bail!("{server} answered other than NOERROR: {}", load.codes);
    }
    let rss_kib = rss_kib(pid);
    let axfr = axfr(addr, ZONE, key, axfr_records)
        .await
        .with_context(|| format!("AXFR from {server}"))?;
    Ok(Figures {
        server: server.to_owned(),
        load,
        rss_kib,
        axfr,
    })
}

/// `signet-bench dns`: Knot DNS serving the zone, then Signet (the
/// `signet` binary `bin`) serving as many records, measured; one table.
pub async fn run(opts: &DnsOptions, bin: &Path) -> anyhow::Result<()> {
    if !Knot::available() {
        bail!("Knot DNS is missing (apt-get install knot knot-dnsutils dnsperf)");
    }
    let dir = tempfile::tempdir()?;
    let queries = dir.path().join("queries.txt");
    write_queries(&queries, ZONE, opts.records)?;
    let key = TsigKey::generate("bench-transfer");
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    println!("Knot DNS: loading {} records", opts.records);
    let knot = Knot::primary_with_workers(&txt_zone(ZONE, opts.records), Some(&key), workers).await;
    // SOA, NS, the NS's A, the records, and the closing SOA.
    let knot_figures = measure(
        "Knot DNS",
        knot.addr(),
        knot.pid(),
        &queries,
        &key,
        opts,
        opts.records + 4,
    )
    .await?;
    drop(knot);

    let signet = signet::start(bin, opts.records, &key, dir.path()).await?;
    let signet_queries = dir.path().join("signet-queries.txt");
    write_names(&signet_queries, &signet.names)?;
    let pid = signet.server.pid().context("Signet's process id")?;
    // SOA, NS, the records, and the closing SOA.
    let signet_figures = measure(
        "Signet",
        signet.addr,
        pid,
        &signet_queries,
        &key,
        opts,
        opts.records + 3,
    )
    .await?;
    signet.server.stop().await?;
    print(opts.records, &[knot_figures, signet_figures]);
    Ok(())
}

/// Prints the figures as a Markdown table.
pub fn print(records: usize, rows: &[Figures]) {
    println!("\n### DNS: {records} TXT records, dnsperf over UDP\n");
    println!("| server | queries/s | avg latency | max latency | lost | RSS | AXFR |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {:.0} | {:.3} ms | {:.3} ms | {} | {} | {:.0} ms |",
            row.server,
            row.load.qps,
            row.load.average.as_secs_f64() * 1e3,
            row.load.max.as_secs_f64() * 1e3,
            row.load.lost,
            row.rss_kib.map_or("?".to_owned(), |kib| format!(
                "{:.1} MiB",
                kib as f64 / 1024.0
            )),
            row.axfr.as_secs_f64() * 1e3,
        );
    }
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// Transfers `zone` from `server` with `kdig` (TSIG `key`); the transfer's
/// time as kdig measured it. Fails unless it carried `records` records.
async fn axfr(
    server: SocketAddr,
    zone: &str,
    key: &TsigKey,
    records: usize,
) -> anyhow::Result<Duration> {
    let output = Command::new("kdig")
        .arg("-y")
        .arg(key.dig_arg())
        .arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string(), zone, "AXFR"])
        .args(["+noall", "+noanswer", "+stats"])
        .kill_on_drop(true)
        .output()
        .await
        .context("kdig runs (apt-get install knot-dnsutils)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "kdig failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let got: usize = between(&stdout, "messages, ", " records")
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no record count in kdig's output:\n{stdout}"))?;
    if got != records {
        bail!("the AXFR carried {got} records, not {records}");
    }
    let ms: f64 = between(&stdout, ") in ", " ms")
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no time in kdig's output:\n{stdout}"))?;
    Ok(Duration::from_secs_f64(ms / 1e3))
}

/// The text between the first `start` and the `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}
