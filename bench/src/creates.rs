//! Key creation, timed by the runner's own client (one request at a time
//! for the p50; one client per core for the sustained rate, with the key
//! pool on and with it off), against `openssl genrsa 2048` timed the same
//! two ways.

use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::json;
use tokio::process::Command;

use crate::Options;

/// The dialect a create goes through.
#[derive(Debug, Clone, Copy)]
pub enum Dialect {
    /// `POST /v1/dkim/keys`, a multipart form.
    Mailgun,
    /// `POST /ga/api/v3/eng/dkim_keys`, JSON.
    GreenArrow,
}

/// How fast keys are made.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Median of the sequential runs.
    pub p50: Duration,
    /// Completed per second with one worker per core.
    pub per_second: f64,
}

/// Cores, which is also the number of parallel workers.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Creates 2048-bit keys on a running server.
pub struct Creator<'a> {
    /// HTTP client.
    pub client: &'a reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: &'a str,
    /// `Authorization` header value.
    pub auth: &'a str,
    /// Makes every selector unique.
    pub counter: &'a AtomicUsize,
}

impl Creator<'_> {
    async fn create(&self, dialect: Dialect) -> anyhow::Result<()> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let selector = format!("c{n}");
        let request = match dialect {
            Dialect::Mailgun => {
                let form = reqwest::multipart::Form::new()
                    .text("signing_domain", "create.example.com")
                    .text("selector", selector)
                    .text("bits", "2048");
                self.client
                    .post(format!("{}/v1/dkim/keys", self.base))
                    .multipart(form)
            }
            Dialect::GreenArrow => {
                let body = json!({"dkim_key": {
                    "domain": "create.example.com",
                    "selector": selector,
                    "key": {"bits": 2048},
                }});
                self.client
                    .post(format!("{}/ga/api/v3/eng/dkim_keys", self.base))
                    .json(&body)
            }
        };
        let answer = request.header("Authorization", self.auth).send().await?;
        let status = answer.status();
        if !status.is_success() {
            bail!("create answered {status}: {}", answer.text().await?);
        }
        Ok(())
    }

    /// Times `opts.creates` sequential creates, `opts.create_pause` apart
    /// (a client making keys now and then), then the rate one client per
    /// core sustains for `opts.duration`.
    pub async fn time(&self, dialect: Dialect, opts: &Options) -> anyhow::Result<Timing> {
        let p50 = sequential(opts, || self.create(dialect)).await?;
        let per_second = sustained(opts, cores(), |_| self.create(dialect)).await?;
        Ok(Timing { p50, per_second })
    }
}

/// Creates per second that one client per core sustains for
/// `opts.duration`, each client a tenant of its own: a tenant may hold only
/// a share of the generators, and this measures the server's, not a share.
pub async fn spread(
    creators: &[Creator<'_>],
    dialect: Dialect,
    opts: &Options,
) -> anyhow::Result<f64> {
    sustained(opts, creators.len(), |i| creators[i].create(dialect)).await
}

/// `openssl genrsa 2048`, timed like the creates.
pub async fn openssl(opts: &Options) -> anyhow::Result<Timing> {
    let genrsa = || async {
        let status = Command::new("openssl")
            .args(["genrsa", "2048"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .context("cannot run openssl")?;
        if !status.success() {
            bail!("openssl genrsa 2048 failed");
        }
        Ok(())
    };
    Ok(Timing {
        p50: sequential(opts, genrsa).await?,
        per_second: sustained(opts, cores(), |_| genrsa()).await?,
    })
}

/// The median duration of `opts.creates` runs of `op`, one at a time.
async fn sequential<F, Fut>(opts: &Options, op: F) -> anyhow::Result<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut times = Vec::with_capacity(opts.creates);
    for _ in 0..opts.creates.max(1) {
        tokio::time::sleep(opts.create_pause).await;
        let started = Instant::now();
        op().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Runs of `op` completed per second by `workers` workers (`op` is given
/// the worker's index), each starting runs until `opts.duration` is over.
async fn sustained<F, Fut>(opts: &Options, workers: usize, op: F) -> anyhow::Result<f64>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    let deadline = started + opts.duration;
    let done = AtomicUsize::new(0);
    let worker = |i| {
        let (op, done) = (&op, &done);
        async move {
            while Instant::now() < deadline {
                op(i).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }
    };
    futures::future::try_join_all((0..workers).map(worker)).await?;
    Ok(done.into_inner() as f64 / started.elapsed().as_secs_f64())
}
