//! The server's settings, as the CLI parses them and as tests fill them in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use signet_console::ConsoleIdp;
use signet_domain::auth_cache::AuthCacheSettings;
use signet_domain::{KeySize, Span};
use signet_fleet::FeedCacheSettings;

use crate::dns::DnsSettings;

/// Where the server listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// A SQLite file in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://signet.db?mode=rwc";
/// Longest any database call may wait: for a connection, a lock or an answer.
pub const DEFAULT_DATABASE_TIMEOUT: &str = "5s";
/// Largest request body accepted: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Longest a request may take, body upload included. Generous, because
/// generating an 8192-bit key takes tens of seconds.
pub const DEFAULT_REQUEST_TIMEOUT: &str = "120s";
/// Longest a key-generating request may take: an 8192-bit key alone takes
/// tens of seconds, and it may first wait its turn.
pub const DEFAULT_KEYGEN_TIMEOUT: &str = "10m";
/// Longest a generation may wait for a free generator before a 503.
pub const DEFAULT_KEYGEN_QUEUE_TIMEOUT: &str = "30s";
/// RSA keys kept ready: eight of 2048 bits (the usual size) and four of
/// 1024. Filling it costs about two seconds of one core at startup.
pub const DEFAULT_KEY_POOL: &str = "2048:8,1024:4";
/// Most connections served at once; further ones wait to be accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Most connections one client address may hold open: a sixteenth of the
/// global cap, so no single client can take every slot.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;
/// Longest a client may take to send a request head, from connecting (or
/// from the head's first byte on a kept-alive connection).
pub const DEFAULT_HEADER_READ_TIMEOUT: &str = "10s";
/// Longest a kept-alive connection may idle between requests. Longer than
/// the 60 s idle timeout of common load balancers, so the balancer closes
/// first and never reuses a connection Signet is closing.
pub const DEFAULT_IDLE_TIMEOUT: &str = "75s";
/// Prefix of every Redis key Signet writes.
pub const DEFAULT_REDIS_KEY_PREFIX: &str = "signet:";
/// Burst of requests an API key may send at once.
pub const DEFAULT_RATE_LIMIT_CAPACITY: u32 = 100;
/// Requests per second an API key may sustain.
pub const DEFAULT_RATE_LIMIT_REFILL_PER_SECOND: f64 = 20.0;
/// How long a DNS answer is shared between lookups and nodes.
pub const DEFAULT_DNS_CACHE_TTL: &str = "60s";
/// How old a key's DNS result may get before the background checks it again.
pub const DEFAULT_DNS_RECHECK_INTERVAL: &str = "1h";
/// Background DNS lookups in flight at once, per node.
pub const DEFAULT_DNS_RECHECK_CONCURRENCY: usize = 4;
/// The shortest automatic rotation interval an authority may set.
pub const DEFAULT_ROTATION_MIN_INTERVAL: &str = "1h";
/// Shortest time between two fetches of the console IdP's keys caused by
/// tokens naming unknown key ids.
pub const DEFAULT_CONSOLE_JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// Everything `Application::build` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// `sqlite://...` or `postgres://...`; may hold a password.
    pub database_url: SecretString,
    /// Longest a database call may wait before the request gets 503.
    pub database_timeout: Duration,
    /// Where the master key that seals private keys comes from.
    pub master_key: MasterKeySource,
    /// Retired master keys (comma-separated base64), still used to open what
    /// they sealed, so the master key can be rotated.
    pub previous_master_keys: Option<SecretString>,
    /// Log format (used by the binary when it sets up logging).
    pub log_format: LogFormat,
    /// Limits that protect the service.
    pub limits: Limits,
    /// How many RSA generations may run at once.
    pub keygen_concurrency: usize,
    /// Longest a generation may wait for a free generator; then 503.
    pub keygen_queue_timeout: Duration,
    /// RSA keys generated ahead of requests, per size.
    pub key_pool: KeyPool,
    /// How TXT records are looked up.
    pub dns: DnsSettings,
    /// Build absolute URLs from `X-Forwarded-Proto`/`X-Forwarded-Host`.
    pub trust_forwarded_headers: bool,
    /// `redis://...`, shared by every node; `None` keeps the DNS cache, rate
    /// limits and leases in this process. May hold a password.
    pub redis_url: Option<SecretString>,
    /// Prepended to every Redis key, so deployments can share one Redis.
    pub redis_key_prefix: String,
    /// Per-API-key rate limits.
    pub rate_limit: RateLimit,
    /// How long DNS answers are shared through the cache; zero turns it off.
    pub dns_cache_ttl: Duration,
    /// Background DNS re-checks.
    pub dns_recheck: Recheck,
    /// Key rotation.
    pub rotation: Rotation,
    /// How long authentications are cached. No flag sets it: its TTL is the
    /// bound on a change nobody announced (Redis down, a CLI without Redis)
    /// reaching this node. Tests lengthen it to isolate the announcements.
    pub auth_cache: AuthCacheSettings,
    /// How fleet feeds are cached. No flag sets it either: its age bound is
    /// the safety net for a key change nobody announced.
    pub feed_cache: FeedCacheSettings,
    /// Who may sign console tokens besides the built-in issuer.
    pub console: ConsoleSettings,
}

impl Default for Settings {
    /// The embedded default: a local SQLite file and a local master key file.
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("a valid literal address"),
            database_url: SecretString::from(DEFAULT_DATABASE_URL),
            database_timeout: parse_duration(DEFAULT_DATABASE_TIMEOUT)
                .expect("a valid literal duration"),
            master_key: MasterKeySource::LocalFile,
            previous_master_keys: None,
            log_format: LogFormat::Text,
            limits: Limits::default(),
            keygen_concurrency: default_keygen_concurrency(),
            keygen_queue_timeout: parse_duration(DEFAULT_KEYGEN_QUEUE_TIMEOUT)
                .expect("a valid literal duration"),
            key_pool: KeyPool::parse(DEFAULT_KEY_POOL).expect("a valid literal pool"),
            dns: DnsSettings::default(),
            trust_forwarded_headers: false,
            redis_url: None,
            redis_key_prefix: DEFAULT_REDIS_KEY_PREFIX.to_owned(),
            rate_limit: RateLimit::default(),
            dns_cache_ttl: parse_duration(DEFAULT_DNS_CACHE_TTL).expect("a valid literal duration"),
            dns_recheck: Recheck::default(),
            rotation: Rotation::default(),
            auth_cache: AuthCacheSettings::default(),
            feed_cache: FeedCacheSettings::default(),
            console: ConsoleSettings::default(),
        }
    }
}

impl Settings {
    /// Which database the URL names; an error names the scheme Signet
    /// cannot use (never the URL, which may hold a password).
    pub fn database(&self) -> anyhow::Result<Database> {
        Database::of(self.database_url.expose_secret())
    }
}

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// Base64 of 32 bytes (`SIGNET_MASTER_KEY`).
    Base64(SecretString),
    /// A file holding that base64 (`SIGNET_MASTER_KEY_FILE`).
    File(PathBuf),
    /// Neither: SQLite only, a key file beside the database, made on first use.
    LocalFile,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes; larger ones get 413.
    pub body_limit: usize,
    /// Longest a request may take; slower ones get 408.
    pub request_timeout: Duration,
    /// Longest a request that generates a key may take, in place of
    /// `request_timeout` once its body is read.
    pub keygen_timeout: Duration,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Most connections open from one client address; 0 is no cap (behind a
    /// load balancer every connection comes from its address).
    pub max_connections_per_ip: usize,
    /// Longest from connecting, or from a request's first byte, to its
    /// complete head; slower connections are closed.
    pub header_read_timeout: Duration,
    /// Longest a kept-alive connection may idle between requests.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: parse_duration(DEFAULT_REQUEST_TIMEOUT)
                .expect("a valid literal duration"),
            keygen_timeout: parse_duration(DEFAULT_KEYGEN_TIMEOUT)
                .expect("a valid literal duration"),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            header_read_timeout: parse_duration(DEFAULT_HEADER_READ_TIMEOUT)
                .expect("a valid literal duration"),
            idle_timeout: parse_duration(DEFAULT_IDLE_TIMEOUT).expect("a valid literal duration"),
        }
    }
}

/// A token bucket per API key, shared by every node through Redis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens in a full bucket: the burst a key may send. Zero turns rate
    /// limiting off.
    pub capacity: u32,
    /// Tokens added per second: the rate a key may sustain.
    pub refill_per_second: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            capacity: DEFAULT_RATE_LIMIT_CAPACITY,
            refill_per_second: DEFAULT_RATE_LIMIT_REFILL_PER_SECOND,
        }
    }
}

/// The background task that keeps keys' DNS results fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recheck {
    /// How old a key's DNS result may get before it is looked up again.
    /// Zero turns the task off.
    pub interval: Duration,
    /// Lookups in flight at once.
    pub concurrency: usize,
}

impl Default for Recheck {
    fn default() -> Self {
        Self {
            interval: parse_duration(DEFAULT_DNS_RECHECK_INTERVAL)
                .expect("a valid literal duration"),
            concurrency: DEFAULT_DNS_RECHECK_CONCURRENCY,
        }
    }
}

/// Key rotation: how often authorities may rotate, which also paces the
/// background that advances rotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The shortest `rotation_interval` an authority may set (at least 1 s).
    pub min_interval: Duration,
}

impl Rotation {
    /// The minimum in whole seconds, at least one.
    pub fn min_span(&self) -> Span {
        Span::seconds(
            i64::try_from(self.min_interval.as_secs())
                .unwrap_or(i64::MAX)
                .max(1),
        )
    }

    /// How often the background looks for due rotation steps: a quarter
    /// of the minimum interval, from 100 ms to a minute.
    pub fn period(&self) -> Duration {
        (self.min_interval / 4).clamp(Duration::from_millis(100), Duration::from_secs(60))
    }
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            min_interval: parse_duration(DEFAULT_ROTATION_MIN_INTERVAL)
                .expect("a valid literal duration"),
        }
    }
}

/// How many ready keys to keep per size: `2048:8,1024:4`; `""` or `off`
/// keeps none. Sizes not listed are generated on demand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPool(Vec<(KeySize, usize)>);

impl KeyPool {
    /// Reads `BITS:DEPTH` pairs separated by commas; each size at most once.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("off") {
            return Ok(Self::default());
        }
        let mut depths: Vec<(KeySize, usize)> = Vec::new();
        for pair in s.split(',') {
            let wrong = || format!("`{pair}` is not BITS:DEPTH, such as 2048:8");
            let (bits, depth) = pair.split_once(':').ok_or_else(wrong)?;
            let bits: u32 = bits.trim().parse().map_err(|_| wrong())?;
            let size = KeySize::try_from(bits).map_err(|e| format!("key size {bits} {e}"))?;
            let depth = depth.trim().parse().map_err(|_| wrong())?;
            if depths.iter().any(|(listed, _)| *listed == size) {
                return Err(format!("key size {bits} is listed twice"));
            }
            depths.push((size, depth));
        }
        Ok(Self(depths))
    }

    /// Each pooled size with the number of keys to keep ready, as listed.
    pub fn depths(&self) -> &[(KeySize, usize)] {
        &self.0
    }
}

/// The console's external identity provider, as configured (all three
/// values or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// `SIGNET_CONSOLE_JWKS_URL`: the IdP's key set.
    pub jwks_url: Option<String>,
    /// `SIGNET_CONSOLE_JWT_ISSUER`: the `iss` its tokens carry.
    pub jwt_issuer: Option<String>,
    /// `SIGNET_CONSOLE_JWT_AUDIENCE`: the `aud` its tokens must name.
    pub jwt_audience: Option<String>,
    /// Shortest time between refetches of the key set for unknown key ids
    /// (10 s; tests shorten it).
    pub jwks_refetch_interval: Duration,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            jwks_url: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwks_refetch_interval: DEFAULT_CONSOLE_JWKS_REFETCH_INTERVAL,
        }
    }
}

impl ConsoleSettings {
    /// The external IdP, if one is configured; an error if it is
    /// configured only in part.
    pub fn idp(&self) -> anyhow::Result<Option<ConsoleIdp>> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        match (
            given(&self.jwks_url),
            given(&self.jwt_issuer),
            given(&self.jwt_audience),
        ) {
            (None, None, None) => Ok(None),
            (Some(url), Some(issuer), Some(audience)) => Ok(Some(ConsoleIdp {
                jwks_url: url.to_owned(),
                issuer: issuer.to_owned(),
                audience: audience.to_owned(),
            })),
            (None, _, _) => anyhow::bail!(
                "refusing to start: SIGNET_CONSOLE_JWT_ISSUER and SIGNET_CONSOLE_JWT_AUDIENCE \
                 need SIGNET_CONSOLE_JWKS_URL, the identity provider's key set"
            ),
            (Some(_), _, _) => anyhow::bail!(
                "refusing to start: SIGNET_CONSOLE_JWKS_URL needs both \
                 SIGNET_CONSOLE_JWT_ISSUER and SIGNET_CONSOLE_JWT_AUDIENCE, the `iss` and \
                 `aud` the identity provider's tokens carry"
            ),
        }
    }
}

/// The kind of database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file at this path.
    SqliteFile(PathBuf),
    /// An in-memory SQLite database.
    SqliteMemory,
    /// PostgreSQL.
    Postgres,
}

impl Database {
    /// Classifies a database URL; any scheme but `sqlite:`, `postgres:` and
    /// `postgresql:` is refused.
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres);
        }
        let Some(rest) = url.strip_prefix("sqlite:") else {
            let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
            anyhow::bail!(
                "unsupported database {scheme:?} in SIGNET_DATABASE_URL: Signet runs on \
                 SQLite (sqlite://FILE) or PostgreSQL (postgres://USER@HOST/DB)"
            );
        };
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
            Ok(Self::SqliteMemory)
        } else {
            Ok(Self::SqliteFile(PathBuf::from(path)))
        }
    }
}

/// One RSA generation per core unless configured otherwise.
pub fn default_keygen_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Parses `250ms`, `30s`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as 250ms, 30s, 2m or 1h"))?;
    let seconds = |factor: u64| {
        n.checked_mul(factor)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("`{s}` is too long"))
    };
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3600),
        other => Err(format!(
            "unknown duration unit `{other}`; use ms, s, m or h"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_or_without_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("2d").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn a_key_pool_lists_sizes_with_their_depths_or_is_off() {
        let size = |bits: u32| KeySize::try_from(bits).unwrap();
        let pool = KeyPool::parse(DEFAULT_KEY_POOL).unwrap();
        assert_eq!(pool.depths(), [(size(2048), 8), (size(1024), 4)]);
        let spaced = KeyPool::parse(" 4096 : 1 , 1024:0 ").unwrap();
        assert_eq!(spaced.depths(), [(size(4096), 1), (size(1024), 0)]);
        for off in ["", "off", "OFF", "  "] {
            assert_eq!(KeyPool::parse(off), Ok(KeyPool::default()), "{off:?}");
        }
    }

    #[test]
    fn a_key_pool_with_a_bad_size_depth_or_repeat_is_refused() {
        for bad in [
            "2048",
            "2048:x",
            "2048:-1",
            "256:4",
            "9000:1",
            "2048:1,2048:2",
            "2048:1,",
        ] {
            assert!(KeyPool::parse(bad).is_err(), "{bad}");
        }
        let message = KeyPool::parse("1024:2,1024:3").unwrap_err();
        assert_eq!(message, "key size 1024 is listed twice");
    }

    #[test]
    fn a_console_idp_needs_its_url_issuer_and_audience_together() {
        let console = |url: Option<&str>, iss: Option<&str>, aud: Option<&str>| ConsoleSettings {
            jwks_url: url.map(Into::into),
            jwt_issuer: iss.map(Into::into),
            jwt_audience: aud.map(Into::into),
            ..ConsoleSettings::default()
        };
        assert_eq!(console(None, None, None).idp().unwrap(), None);
        let idp = console(Some("https://idp/jwks"), Some("i"), Some("a"))
            .idp()
            .unwrap()
            .unwrap();
        assert_eq!(idp.audience, "a");
        let e = console(Some("https://idp/jwks"), Some("i"), None)
            .idp()
            .unwrap_err();
        assert!(e.to_string().contains("SIGNET_CONSOLE_JWT_AUDIENCE"), "{e}");
        assert!(console(None, Some("i"), Some("a")).idp().is_err());
    }

    #[test]
    fn database_urls_are_classified() {
        let of = |url| Database::of(url).unwrap();
        assert_eq!(
            of(DEFAULT_DATABASE_URL),
            Database::SqliteFile("signet.db".into())
        );
        assert_eq!(
            of("sqlite:///var/lib/signet/s.db"),
            Database::SqliteFile("/var/lib/signet/s.db".into())
        );
        assert_eq!(of("sqlite::memory:"), Database::SqliteMemory);
        assert_eq!(of("postgres://u@h/db"), Database::Postgres);
        assert_eq!(of("postgresql://u@h/db"), Database::Postgres);
    }

    #[test]
    fn another_database_is_refused_by_its_scheme_alone() {
        let e = Database::of("mysql://root:hunter2@db/signet").unwrap_err();
        let message = format!("{e:#}");
        assert!(
            message.starts_with("unsupported database \"mysql\""),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }
}
