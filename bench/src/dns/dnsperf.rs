//! dnsperf (Debian's, from DNS-OARC), the DNS load generator: run for a
//! while against one address with a query file, its statistics parsed.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::process::Command;

/// One dnsperf run's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Queries answered per second.
    pub qps: f64,
    /// Queries sent that got no answer within dnsperf's timeout.
    pub lost: u64,
    /// Queries answered.
    pub completed: u64,
    /// The answers' RCODEs as dnsperf lists them (`NOERROR 1000 (100.00%)`).
    pub codes: String,
    /// Mean latency.
    pub average: Duration,
    /// Worst latency.
    pub max: Duration,
}

/// A dnsperf run over UDP.
pub struct Run<'a> {
    /// The server asked.
    pub server: SocketAddr,
    /// The query file: one `NAME TYPE` a line, asked in turn, over and over.
    pub queries: &'a Path,
    /// How long to send.
    pub duration: Duration,
    /// Simulated clients (sockets).
    pub clients: u32,
    /// Queries outstanding at once.
    pub outstanding: u32,
}

impl Run<'_> {
    /// Runs dnsperf; fails when it is missing, fails, or loses more than a
    /// thousandth of the queries (a figure is never the speed of drops).
    pub async fn measure(&self) -> anyhow::Result<Measured> {
        let output = Command::new("dnsperf")
            .arg("-s")
            .arg(self.server.ip().to_string())
            .arg("-p")
            .arg(self.server.port().to_string())
            .arg("-d")
            .arg(self.queries)
            .arg("-l")
            .arg(self.duration.as_secs().max(1).to_string())
            .arg("-c")
            .arg(self.clients.to_string())
            .arg("-q")
            .arg(self.outstanding.to_string())
            .kill_on_drop(true)
            .output()
            .await
            .context("dnsperf runs (apt-get install dnsperf)")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "dnsperf failed ({}): {stdout}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let measured = parse(&stdout).with_context(|| format!("dnsperf's output:\n{stdout}"))?;
        if measured.lost * 1000 > measured.completed + measured.lost {
            bail!(
                "dnsperf lost {} of {} queries",
                measured.lost,
                measured.completed
            );
        }
        Ok(measured)
    }
}

/// dnsperf's `Statistics:` block.
fn parse(output: &str) -> anyhow::Result<Measured> {
    let field = |label: &str| -> anyhow::Result<&str> {
        output
            .lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .map(str::trim)
            .with_context(|| format!("no `{label}` line"))
    };
    let first_number = |text: &str| -> anyhow::Result<f64> {
        let number = text.split_whitespace().next().unwrap_or_default();
        number
            .parse()
            .with_context(|| format!("`{number}` is not a number"))
    };
    let seconds = |s: f64| Duration::from_secs_f64(s.max(0.0));
    let latency = field("Average Latency (s):")?;
    let max = latency
        .split("max ")
        .nth(1)
        .map(|rest| rest.trim_end_matches(')'))
        .context("no max latency")?;
    Ok(Measured {
        qps: first_number(field("Queries per second:")?)?,
        lost: first_number(field("Queries lost:")?)? as u64,
        completed: first_number(field("Queries completed:")?)? as u64,
        codes: field("Response codes:")?.to_owned(),
        average: seconds(first_number(latency)?),
        max: seconds(first_number(max)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Statistics:\n\n  Queries sent:         354500\n  \
        Queries completed:    354400 (99.97%)\n  Queries lost:         100 (0.03%)\n\n  \
        Response codes:       NOERROR 177250 (50.00%), NXDOMAIN 177150 (50.00%)\n  \
        Average packet size:  request 32, response 70\n  Run time (s):         3.004837\n  \
        Queries per second:   117976.449305\n\n  \
        Average Latency (s):  0.000658 (min 0.000017, max 0.008062)\n  \
        Latency StdDev (s):   0.000312\n";

    #[test]
    fn the_statistics_of_dnsperf_2_10_are_read() {
        let measured = parse(OUTPUT).expect("parsed");
        assert_eq!(measured.completed, 354_400);
        assert_eq!(measured.lost, 100);
        assert!((measured.qps - 117_976.449_305).abs() < 1e-6);
        assert_eq!(measured.average, Duration::from_micros(658));
        assert_eq!(measured.max, Duration::from_micros(8062));
        assert!(measured.codes.starts_with("NOERROR 177250"));
    }

    #[test]
    fn output_without_statistics_is_an_error() {
        assert!(parse("[Status] Command line: dnsperf\n").is_err());
    }
}
