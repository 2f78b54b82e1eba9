//! The agent's options: `signet-agent sync ...`, and the same [`SyncArgs`]
//! under `signet fleet sync`.

use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand};
use secrecy::SecretString;
use signet_domain::duration::positive_duration;

use crate::targets::Target;
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
    }
}
