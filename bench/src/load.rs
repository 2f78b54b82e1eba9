//! wrk, the load generator: installed with apt when missing, run with
//! `--latency`, its summary parsed.
//!
//! wrk rather than oha: it is a Debian package (seconds to install, where
//! `cargo install oha` compiles for minutes on these machines), its
//! event loop costs the server's cores less, and the figures were
//! taken with it.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::process::Command;

use crate::Options;

/// One wrk run's summary.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

/// Installs wrk with apt-get (through sudo unless root) when it is missing.
pub async fn ensure_wrk() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().await.is_ok() {
        return Ok(());
    }
    let root = Command::new("id").arg("-u").output().await?.stdout == b"0\n";
    let prefix: &[&str] = if root { &[] } else { &["sudo"] };
    for args in [
        &["apt-get", "update"][..],
        &["apt-get", "install", "-y", "wrk"][..],
    ] {
        let line: Vec<&str> = prefix.iter().chain(args).copied().collect();
        println!("installing wrk: {}", line.join(" "));
        let status = Command::new(line[0]).args(&line[1..]).status().await?;
        if !status.success() {
            bail!("`{}` failed; install wrk and run again", line.join(" "));
        }
    }
    Ok(())
}

/// A wrk run against `url`.
pub struct Run<'a> {
    /// The full URL.
    pub url: &'a str,
    /// `Authorization` header value, if any.
    pub auth: Option<&'a str>,
    /// A Lua script that writes the requests, if any.
    pub script: Option<&'a Path>,
    /// Connections (threads are at most as many).
    pub connections: u32,
}

impl<'a> Run<'a> {
    /// Plain requests to `url`.
    pub fn new(url: &'a str, auth: Option<&'a str>, connections: u32) -> Self {
        Self {
            url,
            auth,
            script: None,
            connections,
        }
    }

    /// Runs wrk for the options' duration; fails on any error or non-2xx
    /// answer, so a figure is never the speed of refusals.
    pub async fn measure(&self, opts: &Options) -> anyhow::Result<Measured> {
        self.measure_for(opts, opts.duration).await
    }

    /// Runs wrk for `duration`.
    pub async fn measure_for(
        &self,
        opts: &Options,
        duration: Duration,
    ) -> anyhow::Result<Measured> {
        let mut command = Command::new("wrk");
        command
            .arg("--latency")
            .arg(format!("-t{}", opts.threads.min(self.connections)))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", duration.as_secs().max(1)));
        if let Some(auth) = self.auth {
            command.arg("-H").arg(format!("Authorization: {auth}"));
        }
        if let Some(script) = self.script {
            command.arg("-s").arg(script);
        }
        let out = command
            .arg(self.url)
            .output()
            .await
            .context("cannot run wrk")?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "wrk {} failed: {text}{}",
                self.url,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        parse(&text).with_context(|| format!("wrk {}:\n{text}", self.url))
    }
}

/// Reads wrk's `--latency` summary.
fn parse(text: &str) -> anyhow::Result<Measured> {
    if let Some(line) = text.lines().find(|l| {
        let l = l.trim_start();
        l.starts_with("Non-2xx") || l.starts_with("Socket errors")
    }) {
        bail!("errors under load: {}", line.trim());
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
            .with_context(|| format!("no `{prefix}` line"))
    };
    Ok(Measured {
        rps: field("Requests/sec:")?.parse()?,
        p50: latency(field("50%")?)?,
        p99: latency(field("99%")?)?,
    })
}

/// `497.00us`, `2.43ms`, `1.02s`.
fn latency(value: &str) -> anyhow::Result<Duration> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1.0)
    } else {
        bail!("unreadable latency {value}");
    };
    Ok(Duration::from_secs_f64(number.parse::<f64>()? * scale))
}
