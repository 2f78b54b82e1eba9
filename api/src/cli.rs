//! The command line: every flag can also come from a `SIGNET_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use signet_agent::SyncArgs;
use signet_domain::auth_cache::AuthCacheSettings;
use signet_domain::MinRsaBits;
use signet_fleet::FeedCacheSettings;

use crate::config::{
    default_keygen_concurrency, parse_duration, ConsoleSettings, KeyPool, Limits, LogFormat,
    MasterKeySource, RateLimit, Recheck, Rotation, Settings, DEFAULT_BODY_LIMIT,
    DEFAULT_DATABASE_TIMEOUT, DEFAULT_DATABASE_URL, DEFAULT_DNS_CACHE_TTL,
    DEFAULT_DNS_RECHECK_CONCURRENCY, DEFAULT_DNS_RECHECK_INTERVAL, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_KEYGEN_QUEUE_TIMEOUT, DEFAULT_KEYGEN_TIMEOUT, DEFAULT_KEY_POOL,
    DEFAULT_LISTEN, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_IP,
    DEFAULT_RATE_LIMIT_CAPACITY, DEFAULT_RATE_LIMIT_REFILL_PER_SECOND, DEFAULT_REDIS_KEY_PREFIX,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_ROTATION_MIN_INTERVAL,
};
use crate::dns::DnsSettings;

/// Signet: DKIM signing keys for many tenants, behind the Mailgun and
/// GreenArrow APIs.
#[derive(Debug, Parser)]
#[command(name = "signet", version)]
pub struct Cli {
    /// Configuration shared by every command.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
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
}

/// Fleets: their tokens, and the agent that syncs their keys.
#[derive(Debug, Subcommand)]
pub enum FleetCommand {
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
    /// Keep signers' keys in step with a fleet's feed: the agent a fleet runs.
    Sync(SyncArgs),
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

/// Help heading of the flags every command reads.
const COMMON: &str = "Database and logging options";
/// Help heading of the flags only `serve` reads: an administration
/// command's `--help` lists its own options above both groups.
const SERVER: &str = "Server options (serve only)";

/// The configuration, as flags or environment variables.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "SIGNET_DATABASE_URL", default_value = DEFAULT_DATABASE_URL,
          hide_env_values = true, global = true, help_heading = COMMON)]
    database_url: String,
    /// Longest a database call may wait (`250ms`, `5s`); longer is 503.
    #[arg(long, env = "SIGNET_DATABASE_TIMEOUT", default_value = DEFAULT_DATABASE_TIMEOUT,
          value_parser = positive_duration, global = true, help_heading = COMMON)]
    database_timeout: Duration,
    /// Master key sealing private keys at rest: base64 of 32 bytes.
    #[arg(
        long,
        env = "SIGNET_MASTER_KEY",
        hide_env_values = true,
        global = true, help_heading = COMMON,
        conflicts_with = "master_key_file"
    )]
    master_key: Option<String>,
    /// A file holding the master key (base64 of 32 bytes).
    #[arg(long, env = "SIGNET_MASTER_KEY_FILE", global = true, help_heading = COMMON)]
    master_key_file: Option<PathBuf>,
    /// Retired master keys, comma-separated base64: they open what they sealed.
    #[arg(
        long,
        env = "SIGNET_MASTER_KEY_PREVIOUS",
        hide_env_values = true,
        global = true, help_heading = COMMON
    )]
    master_key_previous: Option<String>,
    /// Log format.
    #[arg(long, env = "SIGNET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text,
          global = true, help_heading = COMMON)]
    log_format: LogFormat,
    /// Address to listen on.
    #[arg(long, env = "SIGNET_LISTEN", default_value = DEFAULT_LISTEN, global = true, help_heading = SERVER)]
    listen: SocketAddr,
    /// Largest request body in bytes; larger ones get 413.
    #[arg(long, env = "SIGNET_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT, global = true, help_heading = SERVER)]
    body_limit: usize,
    /// Longest a request may take (`250ms`, `30s`, `2m`); slower ones get 408.
    #[arg(long, env = "SIGNET_REQUEST_TIMEOUT", default_value = DEFAULT_REQUEST_TIMEOUT,
          value_parser = parse_duration, global = true, help_heading = SERVER)]
    request_timeout: Duration,
    /// Most connections served at once; further ones wait to be accepted.
    #[arg(long, env = "SIGNET_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = positive, global = true, help_heading = SERVER)]
    max_connections: usize,
    /// Most connections open from one client address; more are closed at
    /// once. 0 is no cap (behind a load balancer, which is every connection's
    /// address).
    #[arg(long, env = "SIGNET_MAX_CONNECTIONS_PER_IP",
          default_value_t = DEFAULT_MAX_CONNECTIONS_PER_IP, global = true, help_heading = SERVER)]
    max_connections_per_ip: usize,
    /// Longest from connecting, or from a request's first byte, to its
    /// complete head; slower connections are closed.
    #[arg(long, env = "SIGNET_HEADER_READ_TIMEOUT", default_value = DEFAULT_HEADER_READ_TIMEOUT,
          value_parser = positive_duration, global = true, help_heading = SERVER)]
    header_read_timeout: Duration,
    /// Longest a kept-alive connection may idle between requests.
    #[arg(long, env = "SIGNET_IDLE_TIMEOUT", default_value = DEFAULT_IDLE_TIMEOUT,
          value_parser = positive_duration, global = true, help_heading = SERVER)]
    idle_timeout: Duration,
    /// RSA generations running at once [default: number of cores].
    #[arg(long, env = "SIGNET_KEYGEN_CONCURRENCY",
          value_parser = positive, global = true, help_heading = SERVER)]
    keygen_concurrency: Option<usize>,
    /// Longest a key-generating request may take (`10m`), in place of the
    /// request timeout; slower ones get 408.
    #[arg(long, env = "SIGNET_KEYGEN_TIMEOUT", default_value = DEFAULT_KEYGEN_TIMEOUT,
          value_parser = parse_duration, global = true, help_heading = SERVER)]
    keygen_timeout: Duration,
    /// Longest a key generation may wait for a free generator; longer is 503
    /// with `Retry-After`.
    #[arg(long, env = "SIGNET_KEYGEN_QUEUE_TIMEOUT", default_value = DEFAULT_KEYGEN_QUEUE_TIMEOUT,
          value_parser = parse_duration, global = true, help_heading = SERVER)]
    keygen_queue_timeout: Duration,
    /// RSA keys generated ahead of requests, per size: `BITS:DEPTH` pairs
    /// separated by commas; `off` keeps none. Other sizes are generated on
    /// demand.
    #[arg(long, env = "SIGNET_KEY_POOL", default_value = DEFAULT_KEY_POOL,
          value_parser = KeyPool::parse, global = true, help_heading = SERVER)]
    key_pool: KeyPool,
    /// DNS servers (`ip:port`, comma-separated) [default: the system's].
    #[arg(long, env = "SIGNET_DNS_SERVERS", value_delimiter = ',', global = true, help_heading = SERVER)]
    dns_servers: Vec<SocketAddr>,
    /// Timeout of one DNS attempt.
    #[arg(long, env = "SIGNET_DNS_TIMEOUT", value_parser = parse_duration, global = true, help_heading = SERVER)]
    dns_timeout: Option<Duration>,
    /// Attempts per DNS lookup.
    #[arg(long, env = "SIGNET_DNS_ATTEMPTS",
          value_parser = positive, global = true, help_heading = SERVER)]
    dns_attempts: Option<usize>,
    /// Trust `X-Forwarded-Proto`/`X-Forwarded-Host` (behind a proxy you run).
    #[arg(long, env = "SIGNET_TRUST_FORWARDED_HEADERS", global = true, help_heading = SERVER,
          value_parser = clap::builder::BoolishValueParser::new())]
    trust_forwarded_headers: bool,
    /// Redis shared by every node (`redis://[:PASSWORD@]HOST[:PORT][/DB]`)
    /// [default: in-process state, for a single node].
    #[arg(long, env = "SIGNET_REDIS_URL", hide_env_values = true, global = true, help_heading = SERVER)]
    redis_url: Option<String>,
    /// Prefix of every Redis key Signet writes.
    #[arg(long, env = "SIGNET_REDIS_KEY_PREFIX", default_value = DEFAULT_REDIS_KEY_PREFIX,
          global = true, help_heading = SERVER)]
    redis_key_prefix: String,
    /// Requests an API key may send in a burst; 0 turns rate limiting off.
    #[arg(long, env = "SIGNET_RATE_LIMIT_CAPACITY",
          default_value_t = DEFAULT_RATE_LIMIT_CAPACITY, global = true, help_heading = SERVER)]
    rate_limit_capacity: u32,
    /// Requests per second an API key may sustain.
    #[arg(long, env = "SIGNET_RATE_LIMIT_REFILL_PER_SECOND",
          default_value_t = DEFAULT_RATE_LIMIT_REFILL_PER_SECOND,
          value_parser = positive_rate, global = true, help_heading = SERVER)]
    rate_limit_refill_per_second: f64,
    /// How long DNS answers are shared between lookups and nodes; 0 turns
    /// the cache off.
    #[arg(long, env = "SIGNET_DNS_CACHE_TTL", default_value = DEFAULT_DNS_CACHE_TTL,
          value_parser = parse_duration, global = true, help_heading = SERVER)]
    dns_cache_ttl: Duration,
    /// How old a key's DNS result may get before the background looks it up
    /// again; 0 turns the background re-check off.
    #[arg(long, env = "SIGNET_DNS_RECHECK_INTERVAL", default_value = DEFAULT_DNS_RECHECK_INTERVAL,
          value_parser = parse_duration, global = true, help_heading = SERVER)]
    dns_recheck_interval: Duration,
    /// The console's identity provider: URL of its JWKS. Needs the issuer
    /// and audience too. Tokens from Signet's own issuer work without it.
    #[arg(long, env = "SIGNET_CONSOLE_JWKS_URL", global = true, help_heading = SERVER)]
    console_jwks_url: Option<String>,
    /// The `iss` the identity provider's console tokens carry.
    #[arg(long, env = "SIGNET_CONSOLE_JWT_ISSUER", global = true, help_heading = SERVER)]
    console_jwt_issuer: Option<String>,
    /// The `aud` the identity provider's console tokens must name.
    #[arg(long, env = "SIGNET_CONSOLE_JWT_AUDIENCE", global = true, help_heading = SERVER)]
    console_jwt_audience: Option<String>,
    /// The shortest automatic rotation interval an authority may set
    /// (`rotation_interval`); the background advances rotations every
    /// quarter of it, at most once a minute.
    #[arg(long, env = "SIGNET_ROTATION_MIN_INTERVAL", default_value = DEFAULT_ROTATION_MIN_INTERVAL,
          value_parser = parse_duration, global = true, help_heading = SERVER)]
    rotation_min_interval: Duration,
    /// Background DNS lookups in flight at once, per node.
    #[arg(long, env = "SIGNET_DNS_RECHECK_CONCURRENCY",
          default_value_t = DEFAULT_DNS_RECHECK_CONCURRENCY, value_parser = positive, global = true, help_heading = SERVER)]
    dns_recheck_concurrency: usize,
}

impl ConfigArgs {
    /// The settings these arguments describe.
    pub fn into_settings(self) -> Settings {
        let master_key = match (self.master_key, self.master_key_file) {
            (Some(key), _) => MasterKeySource::Base64(SecretString::from(key)),
            (None, Some(path)) => MasterKeySource::File(path),
            (None, None) => MasterKeySource::LocalFile,
        };
        let dns_defaults = DnsSettings::default();
        Settings {
            listen: self.listen,
            database_url: SecretString::from(self.database_url),
            database_timeout: self.database_timeout,
            master_key,
            previous_master_keys: self.master_key_previous.map(SecretString::from),
            log_format: self.log_format,
            limits: Limits {
                body_limit: self.body_limit,
                request_timeout: self.request_timeout,
                keygen_timeout: self.keygen_timeout,
                max_connections: self.max_connections,
                max_connections_per_ip: self.max_connections_per_ip,
                header_read_timeout: self.header_read_timeout,
                idle_timeout: self.idle_timeout,
            },
            keygen_concurrency: self
                .keygen_concurrency
                .unwrap_or_else(default_keygen_concurrency),
            keygen_queue_timeout: self.keygen_queue_timeout,
            key_pool: self.key_pool,
            dns: DnsSettings {
                servers: self.dns_servers,
                timeout: self.dns_timeout.unwrap_or(dns_defaults.timeout),
                attempts: self.dns_attempts.unwrap_or(dns_defaults.attempts),
            },
            trust_forwarded_headers: self.trust_forwarded_headers,
            redis_url: self
                .redis_url
                .filter(|url| !url.is_empty())
                .map(SecretString::from),
            redis_key_prefix: self.redis_key_prefix,
            rate_limit: RateLimit {
                capacity: self.rate_limit_capacity,
                refill_per_second: self.rate_limit_refill_per_second,
            },
            dns_cache_ttl: self.dns_cache_ttl,
            dns_recheck: Recheck {
                interval: self.dns_recheck_interval,
                concurrency: self.dns_recheck_concurrency,
            },
            rotation: Rotation {
                min_interval: self.rotation_min_interval,
            },
            auth_cache: AuthCacheSettings::default(),
            feed_cache: FeedCacheSettings::default(),
            console: ConsoleSettings {
                jwks_url: self.console_jwks_url,
                jwt_issuer: self.console_jwt_issuer,
                jwt_audience: self.console_jwt_audience,
                ..ConsoleSettings::default()
            },
        }
    }
}

/// A finite rate of at least one request in a thousand seconds.
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.001 => Ok(r),
        _ => Err(format!("`{s}` is not a number of at least 0.001")),
    }
}

/// 512, 1024 or 2048.
fn min_rsa_bits(s: &str) -> Result<MinRsaBits, String> {
    s.parse::<u32>()
        .ok()
        .and_then(|bits| MinRsaBits::try_from(bits).ok())
        .ok_or_else(|| format!("`{s}` is not one of 512, 1024 or 2048"))
}

/// A duration of at least a millisecond: a zero timeout would fail every
/// call or close every connection.
fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d >= Duration::from_millis(1) => Ok(d),
        _ => Err(format!("`{s}` must be at least 1ms")),
    }
}

/// A count of at least one.
fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{s}` is not a whole number of at least 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_means_serve_with_the_defaults() {
        let cli = Cli::try_parse_from(["signet"]).unwrap();
        assert!(cli.command.is_none());
        let settings = cli.config.into_settings();
        assert_eq!(settings.listen.to_string(), DEFAULT_LISTEN);
        assert!(matches!(settings.master_key, MasterKeySource::LocalFile));
        assert_eq!(settings.limits.body_limit, DEFAULT_BODY_LIMIT);
        assert!(settings.redis_url.is_none());
        assert_eq!(settings.rate_limit, RateLimit::default());
        assert_eq!(settings.dns_recheck, Recheck::default());
        assert_eq!(settings.rotation, Rotation::default());
        assert_eq!(settings.dns_cache_ttl, Duration::from_secs(60));
        assert_eq!(settings.database_timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_database_timeout_is_configurable_but_never_zero() {
        let cli = Cli::try_parse_from(["signet", "--database-timeout", "1500ms"]).unwrap();
        let settings = cli.config.into_settings();
        assert_eq!(settings.database_timeout, Duration::from_millis(1500));
        for bad in ["0", "0ms", "soon"] {
            let parsed = Cli::try_parse_from(["signet", "--database-timeout", bad]);
            assert!(parsed.is_err(), "{bad}");
        }
    }

    #[test]
    fn key_generation_has_its_own_timeouts() {
        let defaults = Cli::try_parse_from(["signet"])
            .unwrap()
            .config
            .into_settings();
        assert_eq!(defaults.limits.keygen_timeout, Duration::from_secs(600));
        assert_eq!(defaults.keygen_queue_timeout, Duration::from_secs(30));
        let cli = Cli::try_parse_from([
            "signet",
            "--keygen-timeout",
            "15m",
            "--keygen-queue-timeout",
            "5s",
        ])
        .unwrap();
        let settings = cli.config.into_settings();
        assert_eq!(settings.limits.keygen_timeout, Duration::from_secs(900));
        assert_eq!(settings.keygen_queue_timeout, Duration::from_secs(5));
    }

    #[test]
    fn the_key_pool_defaults_to_2048_and_1024_bits_and_can_be_turned_off() {
        let pool = |args: &[&str]| {
            let args = std::iter::once("signet").chain(args.iter().copied());
            Cli::try_parse_from(args)
                .unwrap()
                .config
                .into_settings()
                .key_pool
        };
        assert_eq!(pool(&[]), KeyPool::parse(DEFAULT_KEY_POOL).unwrap());
        assert_eq!(pool(&["--key-pool", "off"]), KeyPool::default());
        assert_eq!(
            pool(&["--key-pool", "4096:2"]),
            KeyPool::parse("4096:2").unwrap()
        );
        assert!(Cli::try_parse_from(["signet", "--key-pool", "2048"]).is_err());
    }

    #[test]
    fn connection_limits_are_configurable_and_timeouts_must_be_positive() {
        let defaults = Cli::try_parse_from(["signet"])
            .unwrap()
            .config
            .into_settings();
        assert_eq!(defaults.limits.max_connections_per_ip, 64);
        assert_eq!(defaults.limits.header_read_timeout, Duration::from_secs(10));
        assert_eq!(defaults.limits.idle_timeout, Duration::from_secs(75));
        let cli = Cli::try_parse_from([
            "signet",
            "--max-connections-per-ip",
            "0",
            "--header-read-timeout",
            "2s",
            "--idle-timeout",
            "1m",
        ])
        .unwrap();
        let limits = cli.config.into_settings().limits;
        assert_eq!(limits.max_connections_per_ip, 0);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.idle_timeout, Duration::from_secs(60));
        for flag in ["--header-read-timeout", "--idle-timeout"] {
            assert!(
                Cli::try_parse_from(["signet", flag, "0"]).is_err(),
                "{flag}"
            );
        }
    }

    #[test]
    fn shared_state_and_background_checks_are_configurable() {
        let cli = Cli::try_parse_from([
            "signet",
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
        ])
        .unwrap();
        let settings = cli.config.into_settings();
        assert!(settings.redis_url.is_some());
        assert_eq!(settings.rate_limit.capacity, 0);
        assert_eq!(settings.rate_limit.refill_per_second, 0.5);
        assert_eq!(settings.dns_cache_ttl, Duration::ZERO);
        assert_eq!(settings.dns_recheck.interval, Duration::from_secs(900));
        assert_eq!(settings.rotation.min_span().as_seconds(), 2);
        for bad in ["0", "-1", "NaN", "inf"] {
            let parsed = Cli::try_parse_from(["signet", "--rate-limit-refill-per-second", bad]);
            assert!(parsed.is_err(), "{bad}");
        }
    }

    #[test]
    fn tenant_set_needs_a_setting_and_takes_either_or_both() {
        let set = |args: &[&str]| {
            let mut all = vec!["signet", "tenant", "set", "acme"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all)
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
    fn flags_may_follow_the_subcommand() {
        let cli = Cli::try_parse_from([
            "signet",
            "tenant",
            "create",
            "acme",
            "--json",
            "--dns-servers",
            "127.0.0.1:53,127.0.0.2:5353",
            "--request-timeout",
            "500ms",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Tenant(TenantCommand::Create { json: true, .. }))
        ));
        let settings = cli.config.into_settings();
        assert_eq!(settings.dns.servers.len(), 2);
        assert_eq!(settings.limits.request_timeout, Duration::from_millis(500));
    }

    #[test]
    fn fleet_sync_takes_several_targets_and_either_an_interval_or_once() {
        let sync = |args: &[&str]| {
            let mut all = vec![
                "signet", "fleet", "sync", "--url", "http://s", "--token", "t",
            ];
            all.extend_from_slice(args);
            Cli::try_parse_from(all)
        };
        let cli = sync(&["--to", "dir:/k", "--to", "opendkim:/o", "--once"]).unwrap();
        let Some(Command::Fleet(FleetCommand::Sync(args))) = cli.command else {
            panic!("not fleet sync");
        };
        let options = args.into_options();
        assert_eq!(options.targets.len(), 2);
        assert_eq!(options.interval, None);
        let every = sync(&["--to", "dir:/k", "--interval", "5s"]).unwrap();
        assert!(matches!(
            every.command,
            Some(Command::Fleet(FleetCommand::Sync(SyncArgs { interval, .. })))
                if interval == Duration::from_secs(5)
        ));
        assert!(sync(&[]).is_err(), "a target is required");
        assert!(sync(&["--to", "smtp:/x"]).is_err());
        assert!(sync(&["--to", "dir:/k", "--once", "--interval", "5s"]).is_err());
    }
}
