//! `signet-agent`: the program a fleet of signers runs. It polls the fleet
//! feed with its ETag and writes every target atomically, runs
//! `--on-change` after a change, and keeps the last good set in place while
//! Signet is unreachable or refuses the token, retrying with a jittered
//! backoff. `signet fleet sync` runs the same library.
//!
//! It links no database driver, web framework or docs UI: a signer host
//! builds this crate alone.

pub mod cli;
pub mod feed;
pub mod signal;
pub mod targets;
pub mod transport;

use std::future::Future;
use std::time::Duration;

use secrecy::SecretString;
use signet_domain::Chain;
use tokio::process::Command;

use self::feed::{Feed, FeedClient, Poll};
use self::targets::Target;
use self::transport::Transport;

/// The variable the token may come from.
pub const TOKEN_VAR: &str = "SIGNET_FLEET_TOKEN";
/// The first wait after a failure; it doubles up to the interval, or
/// [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two attempts after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

pub use cli::SyncArgs;

/// What the agent was asked to do.
pub struct SyncOptions {
    /// Signet's URL (`https://signet.example`).
    pub url: String,
    /// The fleet token.
    pub token: SecretString,
    /// Where the keys go.
    pub targets: Vec<Target>,
    /// Time between two polls; `None` polls once and exits.
    pub interval: Option<Duration>,
    /// A shell command run after a change was written.
    pub on_change: Option<String>,
    /// TLS, clear text, and the largest feed read.
    pub transport: Transport,
}

/// Runs the agent: once, or until SIGTERM or SIGINT.
pub async fn run(options: SyncOptions) -> anyhow::Result<()> {
    run_until(options, signal::stop()?).await
}

/// Runs the agent: once, or until `stop` completes.
pub async fn run_until(options: SyncOptions, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
    let mut agent = Agent::new(options)?;
    let Some(interval) = agent.options.interval else {
        return agent.sync_once().await;
    };
    tokio::pin!(stop);
    let targets: Vec<String> = agent
        .options
        .targets
        .iter()
        .map(ToString::to_string)
        .collect();
    tracing::info!(url = %agent.options.url, ?targets, ?interval, "syncing the fleet's keys");
    let cap = interval.clamp(FIRST_BACKOFF, MAX_BACKOFF);
    let mut backoff = FIRST_BACKOFF.min(interval);
    loop {
        let wait = match agent.sync_once().await {
            Ok(()) => {
                backoff = FIRST_BACKOFF.min(interval);
                interval
            }
            Err(e) => {
                let wait = jittered(backoff);
                tracing::error!(error = %Chain(e.as_ref()), retry_in = ?wait,
                    "sync failed; the last good set stays in place");
                backoff = (backoff * 2).min(cap);
                wait
            }
        };
        tokio::select! {
            () = &mut stop => {
                tracing::info!("stopping");
                return Ok(());
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// `wait` less up to a quarter of it, at random: after an outage a fleet of
/// agents does not retry in step.
fn jittered(wait: Duration) -> Duration {
    wait.mul_f64(1.0 - rand::random::<f64>() / 4.0)
}

struct Agent {
    options: SyncOptions,
    client: FeedClient,
    /// The ETag of the feed every target holds; `None` until one was
    /// written everywhere, so a failed target is written again next time.
    etag: Option<String>,
}

impl Agent {
    fn new(options: SyncOptions) -> anyhow::Result<Self> {
        anyhow::ensure!(!options.targets.is_empty(), "give at least one --to");
        let client = FeedClient::new(&options.url, options.token.clone(), &options.transport)?;
        Ok(Self {
            options,
            client,
            etag: None,
        })
    }

    /// Polls the feed and writes it to every target if it changed.
    async fn sync_once(&mut self) -> anyhow::Result<()> {
        let (feed, etag) = match self.client.poll(self.etag.as_deref()).await {
            Ok(Poll::NotModified) => {
                tracing::debug!("the feed is unchanged");
                return Ok(());
            }
            Ok(Poll::Changed { feed, etag }) => (feed, etag),
            Err(e) => {
                let url = &self.options.url;
                return Err(anyhow::Error::new(e).context(format!("polling {url}")));
            }
        };
        let changed = self.write(&feed).await?;
        self.etag = etag;
        if changed {
            self.on_change().await;
        }
        Ok(())
    }

    /// Writes every target, even after one failed; whether any changed.
    async fn write(&self, feed: &Feed) -> anyhow::Result<bool> {
        let mut changed = false;
        let mut failed = 0;
        for target in &self.options.targets {
            match target.write(feed).await {
                Ok(true) => {
                    tracing::info!(target = %target, fleet = %feed.fleet,
                        keys = feed.keys.len(), "target updated");
                    changed = true;
                }
                Ok(false) => tracing::debug!(target = %target, "target already current"),
                Err(e) => {
                    tracing::error!(target = %target, error = %Chain(e.as_ref()),
                        "cannot write target");
                    failed += 1;
                }
            }
        }
        // The signers of the targets that did change still reload now;
        // the others are written again on the next attempt.
        if changed && failed > 0 {
            self.on_change().await;
        }
        anyhow::ensure!(failed == 0, "{failed} target(s) could not be written");
        Ok(changed)
    }

    /// Runs `--on-change` through `sh -c`, logging how it ended. The
    /// command does not inherit the fleet token.
    async fn on_change(&self) {
        let Some(command) = &self.options.on_change else {
            return;
        };
        let run = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env_remove(TOKEN_VAR)
            .status();
        match run.await {
            Ok(status) if status.success() => tracing::info!(command, "--on-change ran"),
            Ok(status) => tracing::error!(command, %status, "--on-change failed"),
            Err(e) => tracing::error!(command, error = %e, "--on-change could not start"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jittered_wait_is_between_three_quarters_and_all_of_it() {
        let wait = Duration::from_secs(8);
        for _ in 0..100 {
            let jittered = jittered(wait);
            assert!(jittered <= wait && jittered >= wait * 3 / 4, "{jittered:?}");
        }
    }
}
