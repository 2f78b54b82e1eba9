//! `signet-bench`: measures the release server against an axum hello-world
//! on loopback, with wrk as the load generator, and prints one Markdown
//! table of ratios. Not a test: nothing here runs under `cargo test`.

mod backend;
mod creates;
mod dns;
mod hello;
mod load;
mod processes;
mod report;
mod scale;
mod seed;
mod slow;
mod suite;

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

/// Benchmark Signet against a hello-world baseline and `openssl genrsa`.
#[derive(Debug, Parser)]
#[command(name = "signet-bench")]
struct Cli {
    #[command(flatten)]
    options: Options,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the hello-world baseline (the runner starts it as its own child).
    Hello {
        /// Address to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
    },
    /// Issue 20's DNS figures: Knot DNS serving a zone of DKIM-sized TXT
    /// records, then Signet serving as many, under dnsperf; their memory and
    /// an AXFR's time.
    Dns(dns::DnsOptions),
    /// Issue 19's slow and idle clients at full scale (2,000 connections
    /// from 40 loopback addresses, then idle ones from 8) against the
    /// server, and a normal client's times meanwhile.
    SlowClients {
        /// Length of each of the three attacks.
        #[arg(long, default_value = "30s", value_parser = seconds)]
        seconds: Duration,
        /// The server's `SIGNET_MAX_CONNECTIONS`, in place of its default.
        #[arg(long)]
        max_connections: Option<usize>,
    },
}

/// What to measure and how hard.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Length of each wrk run (`10s`, or a number of seconds).
    #[arg(long, default_value = "10s", value_parser = seconds)]
    pub duration: Duration,
    /// Connections wrk keeps open.
    #[arg(long, default_value_t = 32)]
    pub connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Only this backend.
    #[arg(long, value_enum)]
    pub only: Option<BackendKind>,
    /// PostgreSQL server to create the benchmark's database on; skipped
    /// with a note when unreachable.
    #[arg(
        long,
        env = "SIGNET_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Sequential creates (and `openssl genrsa` runs) timed for the p50.
    #[arg(long, default_value_t = 10)]
    pub creates: usize,
    /// Pause between the timed sequential creates.
    #[arg(long, default_value = "500ms", value_parser = seconds)]
    pub create_pause: Duration,
    /// Also run the scale section: 100,000 keys in one tenant, 10,000
    /// domains, 100 tenants x 1,000 keys.
    #[arg(long)]
    pub scale: bool,
    /// Only the scale section.
    #[arg(long)]
    pub scale_only: bool,
    /// A `signet` binary to use instead of building the release one.
    #[arg(long)]
    pub signet_bin: Option<std::path::PathBuf>,
}

/// The databases Signet runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server.
    Postgres,
}

/// `10s`, `500ms` or a bare number of seconds.
fn seconds(s: &str) -> Result<Duration, String> {
    let parsed = if let Some(ms) = s.strip_suffix("ms") {
        ms.parse::<u64>().map(Duration::from_millis)
    } else {
        s.trim_end_matches('s')
            .parse::<u64>()
            .map(Duration::from_secs)
    };
    parsed.map_err(|_| format!("`{s}` is not a duration like 10s or 500ms"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Hello { listen }) => return hello::serve(listen).await,
        Some(Command::Dns(opts)) => {
            let bin = processes::signet_binary(cli.options.signet_bin.as_deref()).await?;
            return dns::run(&opts, &bin).await;
        }
        Some(Command::SlowClients {
            seconds,
            max_connections,
        }) => {
            let bin = processes::signet_binary(cli.options.signet_bin.as_deref()).await?;
            return slow::run(&bin, seconds, max_connections).await;
        }
        None => {}
    }
    let started = Instant::now();
    // Ctrl-C drops the run: its children are killed on drop, and the
    // databases are dropped below either way.
    let result = tokio::select! {
        result = suite::run(&cli.options) => result,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    backend::drop_leftovers().await;
    println!("\ntotal run time: {:.0?}", started.elapsed());
    result
}
