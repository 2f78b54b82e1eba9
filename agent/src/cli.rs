//! The agent's options: `signet-agent sync ...`, and the same [`SyncArgs`]
//! under `signet fleet sync`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand};
use secrecy::SecretString;
use signet_domain::duration::positive_duration;

use crate::targets::Target;
use crate::transport::{byte_count, Transport, DEFAULT_MAX_FEED_BYTES};
use crate::{SyncOptions, TOKEN_VAR};

/// `signet-agent`: keeps a signer's DKIM keys in step with its fleet's feed.
#[derive(Debug, Parser)]
#[command(name = "signet-agent", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The agent's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Keep signers' keys in step with a fleet's feed.
    Sync(SyncArgs),
}

/// Where to read the feed, where to write the keys, and how often.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("schedule").args(["interval", "once"])))]
pub struct SyncArgs {
    /// Signet's URL (`https://signet.example`).
    #[arg(long)]
    pub url: String,
    /// The fleet token (`sgf_...`); better from the environment, where `ps`
    /// does not show it.
    #[arg(long, env = TOKEN_VAR, hide_env_values = true)]
    pub token: String,
    /// Where to write the keys, once or more: `opendkim:DIR`,
    /// `rspamd-redis:redis://HOST:PORT[/DB][?key_prefix=K&selector_prefix=S]`
    /// or `dir:DIR`.
    #[arg(long = "to", required = true, value_parser = Target::parse)]
    pub targets: Vec<Target>,
    /// Time between two polls (`30s`, `5m`; a bare number is seconds).
    #[arg(long, default_value = "30s", value_parser = positive_duration)]
    pub interval: Duration,
    /// Sync once and exit; non-zero when it could not.
    #[arg(long)]
    pub once: bool,
    /// A shell command run after a change was written (`sh -c`), such as a
    /// signer's reload.
    #[arg(long)]
    pub on_change: Option<String>,
    /// Trust only the certificates in this PEM file for Signet's TLS,
    /// instead of the system's roots (a private CA, a self-signed server).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Allow an `http://` URL to a host that is not a loopback address: the
    /// private keys then cross the network in clear text.
    #[arg(long)]
    pub insecure_http: bool,
    /// The largest feed body read (`64MiB`; a number of bytes, or with KiB,
    /// MiB or GiB); over it the poll fails and the last good set stays.
    #[arg(long, value_parser = byte_count, default_value_t = DEFAULT_MAX_FEED_BYTES)]
    pub max_feed_bytes: u64,
}

impl SyncArgs {
    /// The agent's options.
    pub fn into_options(self) -> SyncOptions {
        SyncOptions {
            url: self.url,
            token: SecretString::from(self.token),
            targets: self.targets,
            interval: (!self.once).then_some(self.interval),
            on_change: self.on_change,
            transport: Transport {
                ca_file: self.ca_file,
                insecure_http: self.insecure_http,
                max_feed_bytes: self.max_feed_bytes,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn sync(args: &[&str]) -> Result<Cli, clap::Error> {
        let mut all = vec!["signet-agent", "sync", "--url", "http://s", "--token", "t"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
    }

    #[test]
    fn sync_takes_several_targets_and_either_an_interval_or_once() {
        let cli = sync(&["--to", "dir:/k", "--to", "opendkim:/o", "--once"]).unwrap();
        let Command::Sync(args) = cli.command;
        let options = args.into_options();
        assert_eq!(options.targets.len(), 2);
        assert_eq!(options.interval, None);
        let Command::Sync(every) = sync(&["--to", "dir:/k", "--interval", "5s"])
            .unwrap()
            .command;
        assert_eq!(every.interval, Duration::from_secs(5));
        assert!(sync(&[]).is_err(), "a target is required");
        assert!(sync(&["--to", "smtp:/x"]).is_err());
        assert!(sync(&["--to", "dir:/k", "--once", "--interval", "5s"]).is_err());
        assert_eq!(
            options.transport.max_feed_bytes, DEFAULT_MAX_FEED_BYTES,
            "64 MiB unless told"
        );
        let Command::Sync(capped) = sync(&["--to", "dir:/k", "--max-feed-bytes", "1MiB"])
            .unwrap()
            .command;
        assert_eq!(capped.max_feed_bytes, 1 << 20);
    }
}
