//! The command line. The commands and their own options are derived; the
//! settings' flags are added from [`keys`](super::keys) to the commands that
//! read them, so each `--help` lists only its command's options.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Arg, ArgGroup, ArgMatches, CommandFactory as _, FromArgMatches as _, Parser};
use clap::{Subcommand, ValueEnum};
use signet_domain::MinRsaBits;

use super::keys::{self, Scope};
use super::{positive_duration, Sources};
use signet_agent::SyncArgs;

/// Signet: DKIM signing keys for many tenants, behind the Mailgun and
/// GreenArrow APIs. Every setting is read, last one winning, from its
/// default, the settings file (`--config`), a `SIGNET_*` variable and its
/// flag; `signet serve --help` lists them all.
#[derive(Debug, Parser)]
#[command(name = "signet", version)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where else a setting may come from, under each command's help.
const SOURCES_HELP: &str = "Every setting may also come from its variable (`--log-format`: \
    SIGNET_LOG_FORMAT) or the settings file (`log_format = \"json\"`): a flag beats a \
    variable, which beats the file. Durations read `250ms`, `30s`, `2m`, `1h`, `90d`, or a \
    bare number of seconds.";

/// The command line parsed: the command, and the sources of the settings
/// it reads.
pub struct Parsed {
    /// What to do; `serve` when omitted.
    pub command: Option<Command>,
    /// The flags, variables and settings file the command reads.
    pub sources: Sources,
}

/// The whole command line, settings' flags included.
pub fn command() -> clap::Command {
    let config = Arg::new("config")
        .long("config")
        .value_name("FILE")
        .value_parser(clap::value_parser!(PathBuf))
        .global(true)
        .help_heading(keys::EVERY_HEADING)
        .help(format!(
            "TOML settings file (every key as in `signet serve --help`, with `_` for `-`) [env: {}]",
            super::CONFIG_VAR
        ));
    let mut root = Cli::command().arg(config);
    for key in keys::keys(&[Scope::Every]) {
        root = root.arg(key.arg().global(true));
    }
    augment(root, "")
}

/// Parses `args` (the first being the program) and gathers the sources of
/// the settings the command reads, reading variables through `var`.
pub fn parse<I, T>(
    args: I,
    var: impl Fn(&str) -> Option<String> + 'static,
) -> Result<Parsed, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    let cli = Cli::from_arg_matches(&matches)?;
    let (path, leaf) = leaf(&matches);
    let scopes = scopes(&path);
    let mut flags = HashMap::new();
    for key in keys::keys(&scopes) {
        if leaf.try_contains_id(key.name).is_err()
            || leaf.value_source(key.name) != Some(ValueSource::CommandLine)
        {
            continue;
        }
        let value = if key.switch {
            leaf.get_flag(key.name).to_string()
        } else {
            leaf.get_one::<String>(key.name)
                .cloned()
                .unwrap_or_default()
        };
        flags.insert(key.name, value);
    }
    let config = leaf.get_one::<PathBuf>("config").cloned();
    Ok(Parsed {
        command: cli.command,
        sources: Sources::new(&scopes, flags, config, var),
    })
}

/// The command's names from the root (`["fleet", "sync"]`) and its matches.
fn leaf(matches: &ArgMatches) -> (Vec<&str>, &ArgMatches) {
    let mut path = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        path.push(name);
        m = sub;
    }
    (path, m)
}

/// The settings a command reads: the agent reads none of the server's,
/// `migrate` only the database's, `serve` all of them, and administration
/// the database's and the shared state's (to announce changes).
fn scopes(path: &[&str]) -> Vec<Scope> {
    let mut scopes = vec![Scope::Every];
    match path {
        ["fleet", "sync"] => {}
        ["migrate"] => scopes.push(Scope::Database),
        [] | ["serve"] => scopes.extend([Scope::Database, Scope::Shared, Scope::Server]),
        _ => scopes.extend([Scope::Database, Scope::Shared]),
    }
    scopes
}

/// Adds to every command without subcommands the flags of its settings.
fn augment(mut command: clap::Command, path: &str) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    if names.is_empty() {
        let path: Vec<&str> = path.split_whitespace().collect();
        let scopes: Vec<Scope> = scopes(&path)
            .into_iter()
            .filter(|s| *s != Scope::Every)
            .collect();
        return command
            .args(keys::keys(&scopes).map(|k| k.arg()))
            .after_help(SOURCES_HELP);
    }
    for name in names {
        let sub = format!("{path} {name}");
        command = command.mut_subcommand(&name, |c| augment(c, &sub));
    }
    command
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage a tenant's API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// The console API's built-in token issuer.
    #[command(subcommand)]
    Console(ConsoleCommand),
    /// Manage a tenant's fleets: the signers that read its keys.
    #[command(subcommand)]
    Fleet(FleetCommand),
    /// Manage a tenant's domains.
    #[command(subcommand)]
    Domain(DomainCommand),
}

/// Domain administration.
#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Publish a domain's DKIM records into the tenant's own DNS by RFC
    /// 2136 updates signed with TSIG, or stop (`--off`). Prints what it
    /// set, never the secret.
    #[command(name = "publish-to")]
    PublishTo {
        /// A sending domain, or the signing domain of keys made without
        /// one; its DKIM authority's records are published.
        name: String,
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The primary name server, `IP:PORT`.
        #[arg(long, required_unless_present = "off", conflicts_with = "off")]
        server: Option<String>,
        /// The zone to update: the authority or a parent of it.
        #[arg(long, required_unless_present = "off", conflicts_with = "off")]
        zone: Option<String>,
        /// `KEYNAME:ALGORITHM:BASE64SECRET` (hmac-sha256, hmac-sha384 or hmac-sha512).
        #[arg(long, required_unless_present = "off", conflicts_with = "off")]
        tsig_key: Option<String>,
        /// Stop publishing; the records written stay in the zone.
        #[arg(long)]
        off: bool,
    },
}

/// Fleets: their tokens, and the agent that syncs their keys.
#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Administration over the database.
    #[command(flatten)]
    Admin(FleetAdminCommand),
    /// Keep signers' keys in step with a fleet's feed: the agent a fleet runs.
    Sync(SyncArgs),
}

/// Fleet administration.
#[derive(Debug, Subcommand)]
pub enum FleetAdminCommand {
    /// Make a fleet reading some of the tenant's domains, and print its
    /// token (shown only this once).
    Create {
        /// Lower-case letters, digits, `-` and `_`; unique in the tenant.
        name: String,
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The signing domains it reads, comma-separated.
        #[arg(long)]
        domains: String,
        /// Print `{"name", "token"}`.
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's fleets (never their tokens).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a fleet's token; its feed refuses it at once.
    Revoke {
        /// The fleet.
        name: String,
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
}

/// Console tokens.
#[derive(Debug, Subcommand)]
pub enum ConsoleCommand {
    /// Print a console token signed by Signet's built-in issuer (a key
    /// derived from the master key), for `Authorization: Bearer TOKEN`.
    Token {
        /// The tenant it acts on; required, except with `--role operator`,
        /// which refuses one.
        #[arg(long)]
        tenant: Option<String>,
        /// viewer, admin, owner, or operator (a platform operator, with no tenant).
        #[arg(long, value_enum)]
        role: signet_console::Role,
        /// Who the token names (`sub`).
        #[arg(long, default_value = "signet-cli")]
        subject: String,
        /// How long it is valid (`15m`, `1h`, `8h`).
        #[arg(long, default_value = "1h", value_parser = positive_duration)]
        ttl: Duration,
    },
}

/// Tenant administration.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its first API key (shown only this once).
    Create {
        /// Lower-case letters, digits, `-` and `_`.
        name: String,
        /// Print `{"tenant_id", "name", "api_key"}`.
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Change a tenant's settings (at least one).
    #[command(group(ArgGroup::new("setting").required(true).multiple(true)))]
    Set {
        /// The tenant.
        name: String,
        /// May private keys leave Signet (GreenArrow's `key.private`)?
        #[arg(long, value_enum, group = "setting")]
        private_key_export: Option<Toggle>,
        /// Smallest RSA key the tenant may generate or import: 512, 1024
        /// (the default; RFC 8301's floor) or 2048.
        #[arg(long, value_parser = min_rsa_bits, group = "setting")]
        min_rsa_bits: Option<MinRsaBits>,
    },
}

/// API key administration.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Issue another API key (shown only this once).
    Create {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// A name for the key, shown in listings ("CI", "relay 2").
        #[arg(long)]
        label: Option<String>,
        /// Print `{"tenant_id", "name", "api_key_id", "api_key"}`.
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's API keys (never their secrets).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key; it stops working at once.
    Revoke {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The key's id, as `api-key list` shows it.
        id: i64,
    },
}

/// A setting switched on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl From<Toggle> for bool {
    fn from(t: Toggle) -> bool {
        t == Toggle::On
    }
}

/// 512, 1024 or 2048.
fn min_rsa_bits(s: &str) -> Result<MinRsaBits, String> {
    s.parse::<u32>()
        .ok()
        .and_then(|bits| MinRsaBits::try_from(bits).ok())
        .ok_or_else(|| format!("`{s}` is not one of 512, 1024 or 2048"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{load, MasterKeySource, Settings, DEFAULT_LISTEN};
    use crate::{RateLimit, Recheck, Rotation};

    fn no_var(_: &str) -> Option<String> {
        None
    }

    fn parsed(args: &[&str]) -> Result<Parsed, clap::Error> {
        parse(
            std::iter::once("signet").chain(args.iter().copied()),
            no_var,
        )
    }

    /// The settings `signet ARGS` runs with, without variables or file.
    fn settings(args: &[&str]) -> anyhow::Result<Settings> {
        load(parsed(args)?.sources)
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn no_arguments_means_serve_with_the_defaults() {
        let parsed = parsed(&[]).unwrap();
        assert!(parsed.command.is_none());
        let settings = load(parsed.sources).unwrap();
        assert_eq!(settings.listen.to_string(), DEFAULT_LISTEN);
        assert!(matches!(settings.master_key, MasterKeySource::LocalFile));
        assert_eq!(settings.limits.body_limit, 1024 * 1024);
        assert!(settings.redis_url.is_none());
        assert_eq!(settings.rate_limit, RateLimit::default());
        assert_eq!(settings.dns_recheck, Recheck::default());
        assert_eq!(settings.rotation, Rotation::default());
        assert_eq!(settings.dns_cache_ttl, Duration::from_secs(60));
        assert_eq!(settings.database_timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_database_timeout_is_configurable_but_never_zero() {
        let s = settings(&["serve", "--database-timeout", "1500ms"]).unwrap();
        assert_eq!(s.database_timeout, Duration::from_millis(1500));
        for bad in ["0", "0ms", "soon"] {
            let e = settings(&["serve", "--database-timeout", bad]).unwrap_err();
            assert!(
                e.to_string().starts_with("invalid --database-timeout: "),
                "{e}"
            );
        }
    }

    #[test]
    fn key_generation_has_its_own_timeouts() {
        let defaults = settings(&["serve"]).unwrap();
        assert_eq!(defaults.limits.keygen_timeout, Duration::from_secs(600));
        assert_eq!(defaults.keygen.queue_timeout, Duration::from_secs(30));
        let s = settings(&[
            "serve",
            "--keygen-timeout",
            "15m",
            "--keygen-queue-timeout",
            "5s",
        ])
        .unwrap();
        assert_eq!(s.limits.keygen_timeout, Duration::from_secs(900));
        assert_eq!(s.keygen.queue_timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_key_pool_defaults_to_2048_and_1024_bits_and_can_be_turned_off() {
        use signet_keygen::{KeyPool, DEFAULT_KEY_POOL};
        let pool = |args: &[&str]| settings(args).unwrap().keygen.pool;
        assert_eq!(pool(&["serve"]), KeyPool::parse(DEFAULT_KEY_POOL).unwrap());
        assert_eq!(pool(&["serve", "--key-pool", "off"]), KeyPool::default());
        assert_eq!(
            pool(&["serve", "--key-pool", "4096:2"]),
            KeyPool::parse("4096:2").unwrap()
        );
        assert!(settings(&["serve", "--key-pool", "2048"]).is_err());
    }

    #[test]
    fn connection_limits_are_configurable_and_timeouts_must_be_positive() {
        let defaults = settings(&["serve"]).unwrap();
        assert_eq!(defaults.limits.max_connections_per_ip, 64);
        assert_eq!(defaults.limits.header_read_timeout, Duration::from_secs(10));
        assert_eq!(defaults.limits.idle_timeout, Duration::from_secs(75));
        assert_eq!(defaults.limits.body_read_timeout, Duration::from_secs(10));
        assert_eq!(defaults.limits.max_connections, 16384);
        let limits = settings(&[
            "serve",
            "--max-connections-per-ip",
            "0",
            "--header-read-timeout",
            "2s",
            "--idle-timeout",
            "1m",
            "--body-read-timeout",
            "3s",
        ])
        .unwrap()
        .limits;
        assert_eq!(limits.max_connections_per_ip, 0);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.idle_timeout, Duration::from_secs(60));
        assert_eq!(limits.body_read_timeout, Duration::from_secs(3));
        for flag in [
            "--header-read-timeout",
            "--idle-timeout",
            "--body-read-timeout",
        ] {
            assert!(settings(&["serve", flag, "0"]).is_err(), "{flag}");
        }
    }

    #[test]
    fn shared_state_and_background_checks_are_configurable() {
        let s = settings(&[
            "serve",
            "--redis-url",
            "redis://127.0.0.1:6379",
            "--rate-limit-capacity",
            "0",
            "--rate-limit-refill-per-second",
            "0.5",
            "--dns-cache-ttl",
            "0",
            "--dns-recheck-interval",
            "15m",
            "--rotation-min-interval",
            "2s",
            "--trust-forwarded-headers",
        ])
        .unwrap();
        assert!(s.redis_url.is_some());
        assert_eq!(s.rate_limit.capacity, 0);
        assert_eq!(s.rate_limit.refill_per_second, 0.5);
        assert_eq!(s.dns_cache_ttl, Duration::ZERO);
        assert_eq!(s.dns_recheck.interval, Duration::from_secs(900));
        assert_eq!(s.rotation.min_span().as_seconds(), 2);
        assert!(s.trust_forwarded_headers);
        for bad in ["0", "-1", "NaN", "inf"] {
            let args = ["serve", "--rate-limit-refill-per-second", bad];
            assert!(settings(&args).is_err(), "{bad}");
        }
    }

    #[test]
    fn variables_are_read_and_a_bad_one_is_named() {
        let var = |name: &str| match name {
            "SIGNET_DNS_SERVERS" => Some("127.0.0.1:53,127.0.0.2:5353".to_owned()),
            "SIGNET_TRUST_FORWARDED_HEADERS" => Some("yes".to_owned()),
            "SIGNET_LISTEN" => Some("localhost".to_owned()),
            _ => None,
        };
        let parsed = parse(["signet", "serve", "--listen", "127.0.0.1:0"], var).unwrap();
        let s = load(parsed.sources).unwrap();
        assert_eq!(s.dns.servers.len(), 2);
        assert!(s.trust_forwarded_headers);
        let parsed = parse(["signet", "serve"], var).unwrap();
        let e = load(parsed.sources).unwrap_err().to_string();
        assert!(e.starts_with("invalid SIGNET_LISTEN: `localhost`"), "{e}");
    }

    #[test]
    fn administration_ignores_the_servers_settings_and_takes_its_flags_after_the_command() {
        let var = |name: &str| (name == "SIGNET_LISTEN").then(|| "bad".to_owned());
        let args = [
            "signet",
            "tenant",
            "create",
            "acme",
            "--json",
            "--database-timeout",
            "2d",
        ];
        let parsed = parse(args, var).unwrap();
        assert!(matches!(
            parsed.command,
            Some(Command::Tenant(TenantCommand::Create { json: true, .. }))
        ));
        let s = load(parsed.sources).unwrap();
        assert_eq!(s.database_timeout, Duration::from_secs(2 * 86_400));
        assert!(parsed_err(&["tenant", "list", "--listen", "127.0.0.1:1"]));
        assert!(parsed_err(&[
            "fleet",
            "sync",
            "--url",
            "u",
            "--to",
            "dir:/k",
            "--database-url",
            "x"
        ]));
    }

    fn parsed_err(args: &[&str]) -> bool {
        parsed(args).is_err()
    }

    #[test]
    fn an_unsupported_database_is_named_by_its_source_never_by_its_password() {
        let args = [
            "migrate",
            "--database-url",
            "mysql://root:hunter2@db/signet",
        ];
        let e = settings(&args).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid --database-url: unsupported database \"mysql\""),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn a_malformed_master_key_is_named_by_its_source_and_never_shown() {
        let e = settings(&["migrate", "--master-key", "c2hvcnQ="]).unwrap_err();
        let e = e.to_string();
        assert!(e.starts_with("invalid --master-key: "), "{e}");
        assert!(!e.contains("c2hvcnQ="), "{e}");
        let var = |name: &str| (name == "SIGNET_MASTER_KEY_PREVIOUS").then(|| "x".to_owned());
        let parsed = parse(["signet", "tenant", "list"], var).unwrap();
        let e = load(parsed.sources).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid SIGNET_MASTER_KEY_PREVIOUS: entry 1 "),
            "{e}"
        );
    }

    #[test]
    fn both_master_key_sources_at_once_are_refused_naming_both() {
        let var = |name: &str| (name == "SIGNET_MASTER_KEY_FILE").then(|| "/k".to_owned());
        let args = ["signet", "migrate", "--master-key", "x"];
        let e = load(parse(args, var).unwrap().sources)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--master-key and SIGNET_MASTER_KEY_FILE"), "{e}");
    }

    #[test]
    fn tenant_set_needs_a_setting_and_takes_either_or_both() {
        let set = |args: &[&str]| {
            let mut all = vec!["tenant", "set", "acme"];
            all.extend_from_slice(args);
            parsed(&all)
        };
        assert!(set(&[]).is_err());
        assert!(set(&["--min-rsa-bits", "768"]).is_err());
        let both = set(&["--min-rsa-bits", "512", "--private-key-export", "on"]).unwrap();
        assert!(matches!(
            both.command,
            Some(Command::Tenant(TenantCommand::Set {
                private_key_export: Some(Toggle::On),
                min_rsa_bits: Some(min),
                ..
            })) if min.bits() == 512
        ));
        assert!(set(&["--private-key-export", "off"]).is_ok());
    }

    #[test]
    fn console_tokens_live_for_days_if_asked() {
        let parsed = parsed(&["console", "token", "--role", "operator", "--ttl", "90d"]).unwrap();
        assert!(matches!(
            parsed.command,
            Some(Command::Console(ConsoleCommand::Token { ttl, .. }))
                if ttl == Duration::from_secs(90 * 86_400)
        ));
    }

    #[test]
    fn fleet_sync_takes_several_targets_and_either_an_interval_or_once() {
        let sync = |args: &[&str]| {
            let mut all = vec!["fleet", "sync", "--url", "http://s", "--token", "t"];
            all.extend_from_slice(args);
            parsed(&all).map(|p| p.command)
        };
        let command = sync(&["--to", "dir:/k", "--to", "opendkim:/o", "--once"]).unwrap();
        let Some(Command::Fleet(FleetCommand::Sync(args))) = command else {
            panic!("not fleet sync");
        };
        let options = args.into_options();
        assert_eq!(options.targets.len(), 2);
        assert_eq!(options.interval, None);
        let every = sync(&["--to", "dir:/k", "--interval", "5s"]).unwrap();
        assert!(matches!(
            every,
            Some(Command::Fleet(FleetCommand::Sync(SyncArgs { interval, .. })))
                if interval == Duration::from_secs(5)
        ));
        assert!(sync(&[]).is_err(), "a target is required");
        assert!(sync(&["--to", "smtp:/x"]).is_err());
        assert!(sync(&["--to", "dir:/k", "--once", "--interval", "5s"]).is_err());
    }
}
