//! Signet serving as many records as Knot does: that many delegated
//! domains, each with one active key, seeded through the storage adapter,
//! then `signet serve` answering DNS for [`ZONE`](super::ZONE).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use signet_testkit::dns_query::{ask, RecordType};
use signet_testkit::{free_dns_port, TsigKey};

use crate::backend::Database;
use crate::processes::{Server, Signet};
use crate::seed::Seeder;
use crate::suite::master_key;
use crate::BackendKind;

/// How long the zone may take to load after the server is ready.
const LOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// A running Signet answering DNS, and the names it serves.
pub struct Running {
    /// The server (stopped when dropped).
    pub server: Server,
    /// Where it answers DNS.
    pub addr: SocketAddr,
    /// Every served name, absolute without the final dot.
    pub names: Vec<String>,
    _database: Database,
}

/// Seeds `records` delegated domains on a fresh SQLite file and starts
/// `bin` answering DNS for the zone, transfers signed with `key`, rate
/// limiting off (dnsperf is one source); returns once the last record is
/// served.
pub async fn start(
    bin: &Path,
    records: usize,
    key: &TsigKey,
    logs: &Path,
) -> anyhow::Result<Running> {
    let database = Database::fresh(BackendKind::Sqlite, "")
        .await?
        .context("a SQLite file")?;
    let master = master_key()?;
    let signet = Signet {
        bin,
        database: &database,
        master_key: &master,
        log_dir: logs,
    };
    let (tenant, _) = signet.create_tenant("bench").await?;
    println!("Signet: seeding {records} delegated domains");
    let labels = Seeder::open(&database.url, &master)
        .await?
        .delegated(tenant, records)
        .await?;
    let zone = super::ZONE.trim_end_matches('.');
    let names: Vec<String> = labels
        .iter()
        .map(|label| format!("s1._domainkey.{label}.{zone}"))
        .collect();
    let addr: SocketAddr = ([127, 0, 0, 1], free_dns_port()).into();
    let spec = key.spec();
    let server = signet
        .serve_with(&[
            ("SIGNET_RATE_LIMIT_CAPACITY", "0"),
            ("SIGNET_DNS_RECHECK_INTERVAL", "0"),
            ("SIGNET_DNS_LISTEN", &addr.to_string()),
            ("SIGNET_DNS_ZONE", zone),
            ("SIGNET_DNS_TSIG_KEY", &spec),
            ("SIGNET_DNS_RRL_RATE", "0"),
        ])
        .await?;
    let last = format!("{}.", names.last().context("at least one record")?);
    let started = Instant::now();
    loop {
        if let Ok(answer) = ask(addr, &last, RecordType::TXT).await {
            if !answer.txt().is_empty() {
                break;
            }
        }
        if started.elapsed() > LOAD_TIMEOUT {
            bail!("Signet did not serve {last} within {LOAD_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "  zone served {:.1?} after the server was ready",
        started.elapsed()
    );
    Ok(Running {
        server,
        addr,
        names,
        _database: database,
    })
}
