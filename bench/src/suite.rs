//! The main section: the baselines, then every request on each backend,
//! side by side in one run.

use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use signet_storage::MasterKey;

use crate::backend::Database;
use crate::creates::{self, Creator, Dialect, Timing};
use crate::load::{self, Measured, Run};
use crate::processes::{self, Signet};
use crate::report::{self, Row};
use crate::seed::{Seeder, Spec};
use crate::{scale, BackendKind, Options};

/// Keys in the benchmark tenant.
const KEYS: usize = 100;

/// What a row's figures are compared with.
pub struct Baselines {
    /// The hello-world under the same load.
    pub hello: Measured,
    /// `openssl genrsa 2048`.
    pub openssl: Timing,
}

/// Runs everything the options ask for and prints the tables.
pub async fn run(opts: &Options) -> anyhow::Result<()> {
    println!("machine: {}", machine());
    load::ensure_wrk().await?;
    let bin = processes::signet_binary(opts.signet_bin.as_deref()).await?;
    let logs = tempfile::tempdir()?;
    let kinds: Vec<BackendKind> = [BackendKind::Sqlite, BackendKind::Postgres]
        .into_iter()
        .filter(|k| opts.only.is_none_or(|only| only == *k))
        .collect();

    println!("measuring the hello-world baseline");
    let hello = processes::hello(logs.path()).await?;
    let url = format!("{}/", hello.base);
    let hello_measured = Run::new(&url, None, opts.connections).measure(opts).await?;
    hello.stop().await?;
    let mut rows = vec![measured_row("hello-world `GET /`", "-", hello_measured)];
    let openssl = if opts.scale_only {
        None
    } else {
        println!("timing openssl genrsa 2048");
        let timing = creates::openssl(opts).await?;
        let mut p50 = Row::new("`openssl genrsa 2048` (p50 of sequential runs)", "-");
        p50.p50 = Some(timing.p50);
        let mut rate = Row::new("`openssl genrsa 2048` per second, one run per core", "-");
        rate.rps = Some(timing.per_second);
        rows.extend([p50, rate]);
        Some(timing)
    };

    if let Some(openssl) = openssl {
        let baselines = Baselines {
            hello: hello_measured,
            openssl,
        };
        for &kind in &kinds {
            if let Some(db) = Database::fresh(kind, &opts.postgres_url).await? {
                println!("measuring on {}", name(kind));
                rows.extend(backend(&db, &bin, logs.path(), opts, &baselines).await?);
            }
        }
        report::print(
            &format!(
                "wrk -t{} -c{} -d{}s --latency, {KEYS} keys in the tenant",
                opts.threads,
                opts.connections,
                opts.duration.as_secs()
            ),
            &rows,
        );
    }
    if opts.scale || opts.scale_only {
        let mut scale_rows = Vec::new();
        for &kind in &kinds {
            if let Some(db) = Database::fresh(kind, &opts.postgres_url).await? {
                println!("scale on {}", name(kind));
                scale_rows.extend(scale::run(&db, &bin, logs.path(), opts).await?);
            }
        }
        report::print("Scale", &scale_rows);
    }
    Ok(())
}

/// Cores and CPU model, from `/proc/cpuinfo`.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |m| m.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    format!("{cores} cores, {model}")
}

/// The backend's name in the table.
pub fn name(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Sqlite => "SQLite",
        BackendKind::Postgres => "PostgreSQL",
    }
}

/// A new master key, as base64.
pub fn master_key() -> anyhow::Result<String> {
    Ok(MasterKey::generate()?.to_base64().as_str().to_owned())
}

/// `Basic base64(api:KEY)`, as Mailgun's clients send it.
pub fn basic(api_key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("api:{api_key}")))
}

/// A row of a wrk measurement, without ratio or target.
pub fn measured_row(request: &str, backend: &'static str, m: Measured) -> Row {
    let mut row = Row::new(request, backend);
    row.rps = Some(m.rps);
    row.p50 = Some(m.p50);
    row.p99 = Some(m.p99);
    row
}

/// The targets: a floor on the ratio to hello, and for gets and
/// lists of ten a p99 under 5 ms.
#[derive(Clone, Copy)]
enum Target {
    None,
    Ratio(f64),
    RatioAndP99(f64),
}

async fn backend(
    db: &Database,
    bin: &Path,
    logs: &Path,
    opts: &Options,
    base: &Baselines,
) -> anyhow::Result<Vec<Row>> {
    let master = master_key()?;
    let signet = Signet {
        bin,
        database: db,
        master_key: &master,
        log_dir: logs,
    };
    let (tenant, api_key) = signet.create_tenant("bench").await?;
    let ids = Seeder::open(&db.url, &master)
        .await?
        .keys(tenant, KEYS, |i| Spec {
            domain: format!("d{}.bench.example", i % 10),
            selector: format!("s{i}"),
            default: i < 10,
        })
        .await?;
    let server = signet.serve().await?;
    let auth = basic(&api_key);
    let sqlite = db.kind == BackendKind::Sqlite;
    let pick = |lite: f64, pg: f64| if sqlite { lite } else { pg };
    let get = Target::RatioAndP99(pick(0.5, 0.3));
    let list = Target::RatioAndP99(pick(0.35, 0.2));
    let page = if sqlite {
        Target::Ratio(0.1)
    } else {
        Target::None
    };
    let ga_key = format!("/ga/api/v3/eng/dkim_keys/{}", ids[55]);
    let cases: [(&str, &str, bool, Target); 7] = [
        (
            "`/healthz`, no credentials",
            "/healthz",
            false,
            Target::None,
        ),
        (
            "`/healthz` with `Authorization`",
            "/healthz",
            true,
            Target::None,
        ),
        (
            "Mailgun list of 10: `GET /v1/dkim/keys?limit=10`",
            "/v1/dkim/keys?limit=10",
            true,
            list,
        ),
        (
            "Mailgun get-one: `GET /v1/dkim/keys?signing_domain=D&selector=S`",
            "/v1/dkim/keys?signing_domain=d5.bench.example&selector=s55",
            true,
            get,
        ),
        (
            "GreenArrow get-one: `GET /ga/api/v3/eng/dkim_keys/{id}`",
            ga_key.as_str(),
            true,
            get,
        ),
        (
            "GreenArrow list of 10: `GET /ga/api/v3/eng/dkim_keys?per_page=10`",
            "/ga/api/v3/eng/dkim_keys?per_page=10",
            true,
            list,
        ),
        (
            "GreenArrow default page (100): `GET /ga/api/v3/eng/dkim_keys`",
            "/ga/api/v3/eng/dkim_keys",
            true,
            page,
        ),
    ];
    let backend = name(db.kind);
    let mut rows = Vec::new();
    // Warm the connection pool and caches before the first figure.
    let warm = format!("{}/v1/dkim/keys?limit=10", server.base);
    Run::new(&warm, Some(&auth), opts.connections)
        .measure_for(opts, Duration::from_secs(2))
        .await?;
    for (label, path, with_auth, target) in cases {
        let url = format!("{}{path}", server.base);
        let m = Run::new(&url, with_auth.then_some(auth.as_str()), opts.connections)
            .measure(opts)
            .await?;
        let mut row = measured_row(label, backend, m);
        let ratio = m.rps / base.hello.rps;
        row.measure = format!("{ratio:.3} of hello");
        match target {
            Target::None => {}
            Target::Ratio(floor) => {
                row.target = format!("≥ {floor}");
                row.met = Some(ratio >= floor);
            }
            Target::RatioAndP99(floor) => {
                row.target = format!("≥ {floor}, p99 < 5 ms");
                row.met = Some(ratio >= floor && m.p99 < Duration::from_millis(5));
            }
        }
        rows.push(row);
    }

    let client = reqwest::Client::new();
    let counter = AtomicUsize::new(0);
    let creator = Creator {
        client: &client,
        base: &server.base,
        auth: &auth,
        counter: &counter,
    };
    for (dialect, label) in [
        (Dialect::Mailgun, "Mailgun `POST /v1/dkim/keys` bits=2048"),
        (
            Dialect::GreenArrow,
            "GreenArrow `POST /ga/api/v3/eng/dkim_keys` bits 2048",
        ),
    ] {
        let timing = creator.time(dialect, opts).await?;
        let faster = base.openssl.p50.as_secs_f64() / timing.p50.as_secs_f64();
        let mut p50 = Row::new(format!("{label} (p50 of sequential creates)"), backend);
        p50.p50 = Some(timing.p50);
        p50.measure = format!("{faster:.1}x openssl's speed");
        p50.target = "≥ 50x".into();
        p50.met = Some(faster >= 50.0);
        let ratio = timing.per_second / base.openssl.per_second;
        let mut rate = Row::new(format!("{label}, creates/s, one client per core"), backend);
        rate.rps = Some(timing.per_second);
        rate.measure = format!("{ratio:.2}x openssl's rate");
        rate.target = "≥ 1x".into();
        rate.met = Some(ratio >= 1.0);
        rows.extend([p50, rate]);
    }
    server.stop().await?;
    rows.push(drained(&signet, opts, base, backend).await?);
    Ok(rows)
}

/// Sustained 2048-bit creates with the key pool off, which is where a
/// pooled server settles under a steady load once its pool is drained: one
/// client per core, each its own tenant, against `openssl genrsa 2048` run
/// on every core. The target is 3x.
async fn drained(
    signet: &Signet<'_>,
    opts: &Options,
    base: &Baselines,
    backend: &'static str,
) -> anyhow::Result<Row> {
    let mut auths = Vec::new();
    for i in 0..creates::cores() {
        let (_, api_key) = signet.create_tenant(&format!("drained{i}")).await?;
        auths.push(basic(&api_key));
    }
    let server = signet.serve_unpooled().await?;
    let client = reqwest::Client::new();
    let counter = AtomicUsize::new(0);
    let creators: Vec<Creator> = auths
        .iter()
        .map(|auth| Creator {
            client: &client,
            base: &server.base,
            auth,
            counter: &counter,
        })
        .collect();
    let per_second = creates::spread(&creators, Dialect::Mailgun, opts).await?;
    server.stop().await?;
    let ratio = per_second / base.openssl.per_second;
    let mut row = Row::new(
        "Mailgun `POST /v1/dkim/keys` bits=2048, creates/s, key pool off, one client (and tenant) per core",
        backend,
    );
    row.rps = Some(per_second);
    row.measure = format!("{ratio:.2}x openssl's rate");
    row.target = "≥ 3x".into();
    row.met = Some(ratio >= 3.0);
    Ok(row)
}
