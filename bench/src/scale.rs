//! The scale section, on one database per backend: 100,000 keys in one
//! tenant (page 1,000 against page 1 in each dialect), 10,000 Mailgun
//! domains in another (`GET /v4/domains`), and 100 tenants of 1,000 keys
//! (the server's resident memory while wrk spreads reads over them).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

use crate::backend::Database;
use crate::load::{Measured, Run};
use crate::processes::Signet;
use crate::report::{self, Row};
use crate::seed::{Seeder, Spec};
use crate::suite::{basic, master_key, measured_row, name};
use crate::{BackendKind, Options};

const BIG: usize = 100_000;
const DOMAINS: usize = 10_000;
const TENANTS: usize = 100;
const TENANT_KEYS: usize = 1_000;
/// The page compared with the first (1-based).
const PAGE: usize = 1_000;
/// Records a page.
const PER_PAGE: usize = 10;

/// Seeds, serves and measures; returns the rows.
pub async fn run(
    db: &Database,
    bin: &Path,
    logs: &Path,
    opts: &Options,
) -> anyhow::Result<Vec<Row>> {
    let backend = name(db.kind);
    let master = master_key()?;
    let signet = Signet {
        bin,
        database: db,
        master_key: &master,
        log_dir: logs,
    };
    let started = Instant::now();
    let (big, big_key) = signet.create_tenant("big").await?;
    let (domains, domains_key) = signet.create_tenant("domains").await?;
    let mut tenants = Vec::with_capacity(TENANTS);
    for i in 0..TENANTS {
        tenants.push(signet.create_tenant(&format!("t{i:03}")).await?);
    }
    let seeder = Seeder::open(&db.url, &master).await?;
    seeder
        .keys(big, BIG, |i| Spec {
            domain: format!("d{}.big.example", i % 100),
            selector: format!("s{i}"),
            default: i < 100,
        })
        .await?;
    seeder.domains(domains, DOMAINS).await?;
    let seeded = Instant::now();
    let mut first_ids = Vec::new();
    for (tenant, _) in &tenants {
        first_ids = seeder
            .keys(*tenant, TENANT_KEYS, |i| Spec {
                domain: format!("d{}.t.example", i % 10),
                selector: format!("s{i}"),
                default: i < 10,
            })
            .await?;
    }
    println!(
        "  seeded {TENANTS} tenants x {TENANT_KEYS} keys in {:.1?}; all seeding took {:.1?}",
        seeded.elapsed(),
        started.elapsed()
    );
    drop(seeder);
    db.settle().await?;

    let server = signet.serve().await?;
    let client = reqwest::Client::new();
    let auth = basic(&big_key);
    let get = |url: String| {
        let request = client.get(url).header("Authorization", &auth);
        async move {
            let answer = request.send().await?.error_for_status()?;
            anyhow::Ok(answer.json::<Value>().await?)
        }
    };
    // Mailgun: follow `paging.next` to the 1,000th page.
    let mailgun_first = format!("{}/v1/dkim/keys?limit={PER_PAGE}", server.base);
    let mut mailgun_page = mailgun_first.clone();
    for _ in 1..PAGE {
        let page = get(mailgun_page.clone()).await?;
        mailgun_page = page["paging"]["next"]
            .as_str()
            .context("paging.next")?
            .to_owned();
    }
    // GreenArrow: follow `next_page_token` to the 1,000th page.
    let ga_first = format!(
        "{}/ga/api/v3/eng/dkim_keys?per_page={PER_PAGE}",
        server.base
    );
    let mut ga_page = ga_first.clone();
    for _ in 1..PAGE {
        let page = get(ga_page.clone()).await?;
        let token = page["data"]["pagination"]["next_page_token"]
            .as_str()
            .context("next_page_token")?;
        ga_page = format!("{ga_first}&page_token={token}");
    }
    let ga_offset = format!("{ga_first}&page={}", PAGE - 1);

    let mut rows = Vec::new();
    for (dialect, first, deep) in [
        (
            "Mailgun `paging.next` cursor",
            &mailgun_first,
            &mailgun_page,
        ),
        ("GreenArrow `page_token`", &ga_first, &ga_page),
        ("GreenArrow `page=999` (offset)", &ga_first, &ga_offset),
    ] {
        let m1 = Run::new(first, Some(&auth), opts.connections)
            .measure(opts)
            .await?;
        let m1000 = Run::new(deep, Some(&auth), opts.connections)
            .measure(opts)
            .await?;
        rows.push(measured_row(
            &format!("{dialect}: page 1 of {PER_PAGE}, {BIG} keys"),
            backend,
            m1,
        ));
        let slower = m1.rps / m1000.rps;
        let mut row = measured_row(
            &format!("{dialect}: page {PAGE} of {PER_PAGE}"),
            backend,
            m1000,
        );
        row.measure = format!("{slower:.2}x page 1's time");
        row.target = "≤ 1.2x".into();
        row.met = Some(slower <= 1.2);
        rows.push(row);
    }

    // One client, so the figure is an answer's time, not a queue's.
    let url = format!("{}/v4/domains", server.base);
    let domains_auth = basic(&domains_key);
    let one = Run::new(&url, Some(&domains_auth), 1).measure(opts).await?;
    let mut row = measured_row(
        &format!("Mailgun `GET /v4/domains`, {DOMAINS} domains, 1 connection"),
        backend,
        one,
    );
    row.measure = format!("p99 {}", report::ms(one.p99));
    row.target = "< 50 ms".into();
    row.met = Some(one.p99 < Duration::from_millis(50));
    rows.push(row);

    rows.push(memory(&server, &tenants, &first_ids, logs, opts, db.kind).await?);
    server.stop().await?;
    Ok(rows)
}

/// wrk spreading lists and gets over every small tenant while the server's
/// resident memory is read: right after the load (`VmRSS`) and its peak
/// over the server's life (`VmHWM`), which the target is judged on.
async fn memory(
    server: &crate::processes::Server,
    tenants: &[(i64, String)],
    ids: &[i64],
    logs: &Path,
    opts: &Options,
    kind: BackendKind,
) -> anyhow::Result<Row> {
    let pid = server.pid().context("the server has exited")?;
    let auths: Vec<String> = tenants
        .iter()
        .map(|(_, key)| format!("{:?}", basic(key)))
        .collect();
    let (low, high) = (
        ids.first().copied().unwrap_or(1),
        ids.last().copied().unwrap_or(1),
    );
    let script = logs.join("tenants.lua");
    std::fs::write(
        &script,
        format!(
            "local auths = {{ {} }}\n\
             local n = 0\n\
             request = function()\n\
             \x20 n = n + 1\n\
             \x20 local headers = {{ [\"Authorization\"] = auths[(n % #auths) + 1] }}\n\
             \x20 if n % 2 == 0 then\n\
             \x20   return wrk.format(\"GET\", \"/v1/dkim/keys?limit=10\", headers)\n\
             \x20 end\n\
             \x20 local id = {low} + (n * 7919) % ({high} - {low} + 1)\n\
             \x20 return wrk.format(\"GET\", \"/ga/api/v3/eng/dkim_keys/\" .. id, headers)\n\
             end\n",
            auths.join(", ")
        ),
    )?;
    let url = format!("{}/", server.base);
    let load = Run {
        url: &url,
        auth: None,
        script: Some(&script),
        connections: opts.connections,
    };
    let measured: Measured = load.measure(opts).await?;
    let rss = status_kib(pid, "VmRSS:").context("VmRSS")?;
    let hwm = status_kib(pid, "VmHWM:").context("VmHWM")?;
    let mut row = measured_row(
        &format!("RSS under load: {TENANTS} tenants x {TENANT_KEYS} keys, lists and gets"),
        name(kind),
        measured,
    );
    let mib = hwm as f64 / 1024.0;
    row.measure = format!(
        "VmRSS {:.1} MiB after the load, peak (VmHWM) {mib:.1} MiB",
        rss as f64 / 1024.0
    );
    row.target = "< 64 MiB".into();
    row.met = Some(mib < 64.0);
    Ok(row)
}

/// A `/proc/PID/status` field in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
