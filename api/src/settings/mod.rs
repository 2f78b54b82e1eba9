//! The server's settings, read in layers: the defaults, then an optional
//! TOML file (`--config FILE` or `SIGNET_CONFIG`), then `SIGNET_*`
//! variables, then flags. Each part owns its settings type (`Limits`,
//! `signet_keygen::Config`, `RateLimit`, `Recheck`, `Rotation`, `DnsSettings`);
//! [`Settings`] composes them, and tests fill it in directly.

pub mod cli;
mod compose;
mod console;
mod database;
mod dns_zone;
pub mod keys;
mod sources;

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use signet_domain::auth_cache::AuthCacheSettings;
use signet_domain::key_cache::KeyCacheSettings;

pub use self::compose::{load, log_format};
pub use self::console::{ConsoleSettings, DEFAULT_CONSOLE_JWKS_REFETCH_INTERVAL};
pub use self::database::{
    Database, MasterKeySource, DEFAULT_DATABASE_TIMEOUT, DEFAULT_DATABASE_URL,
};
pub use self::dns_zone::{
    DnsZoneSettings, DEFAULT_DNS_RRL_RATE, DEFAULT_DNS_RRL_SLIP, DEFAULT_DNS_TTL,
};
pub use self::sources::{Origin, Sources, CONFIG_VAR};
use crate::dns::{DnsSettings, DEFAULT_DNS_CACHE_TTL};
use crate::limits::Limits;
use crate::publish::Publish;
use crate::ratelimit::RateLimit;
use crate::recheck::Recheck;
use crate::rotation::Rotation;
use crate::telemetry::LogFormat;
use signet_connections::tls::TlsFiles;
pub use signet_console::ConsoleIdp;
pub use signet_domain::duration::{parse_duration, positive_duration};
use signet_fleet::FeedCacheSettings;
use signet_keygen as keygen;

/// Where the server listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Prefix of every Redis key Signet writes.
pub const DEFAULT_REDIS_KEY_PREFIX: &str = "signet:";

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
    /// How RSA keys are generated: concurrency, queue timeout, pool.
    pub keygen: keygen::Config,
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
    /// Publishing into tenants' own DNS (RFC 2136).
    pub publish: Publish,
    /// How long authentications are cached. No setting names it: its TTL is
    /// the bound on a change nobody announced (Redis down, a CLI without
    /// Redis) reaching this node. Tests lengthen it to isolate the
    /// announcements.
    pub auth_cache: AuthCacheSettings,
    /// How fleet feeds are cached. No setting names it either: its age bound
    /// is the safety net for a key change nobody announced.
    pub feed_cache: FeedCacheSettings,
    /// The read model of each tenant's keys. Its sizes have settings; its
    /// sweep interval and unverified age (the one-second bound on a change
    /// made elsewhere) have none, and tests lengthen them to isolate the
    /// announcements.
    pub key_cache: KeyCacheSettings,
    /// Who may sign console tokens besides the built-in issuer.
    pub console: ConsoleSettings,
    /// The certificate and key to serve HTTPS with; `None` serves plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Signet's authoritative DNS zone.
    pub dns_zone: DnsZoneSettings,
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
            keygen: keygen::Config::default(),
            dns: DnsSettings::default(),
            trust_forwarded_headers: false,
            redis_url: None,
            redis_key_prefix: DEFAULT_REDIS_KEY_PREFIX.to_owned(),
            rate_limit: RateLimit::default(),
            dns_cache_ttl: parse_duration(DEFAULT_DNS_CACHE_TTL).expect("a valid literal duration"),
            dns_recheck: Recheck::default(),
            rotation: Rotation::default(),
            publish: Publish::default(),
            auth_cache: AuthCacheSettings::default(),
            feed_cache: FeedCacheSettings::default(),
            key_cache: KeyCacheSettings::default(),
            console: ConsoleSettings::default(),
            tls: None,
            dns_zone: DnsZoneSettings::default(),
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::keys::{self, Scope};
    use super::*;

    /// The example settings file shipped in `deploy/`.
    const EXAMPLE: &str = include_str!("../../../deploy/signet.toml");
    const ALL: [Scope; 4] = [Scope::Every, Scope::Database, Scope::Shared, Scope::Server];

    /// The example with the keys that have a default uncommented.
    fn example_with_defaults() -> String {
        let with_default: Vec<String> = keys::all()
            .into_iter()
            .filter(|k| k.default.is_some())
            .map(|k| format!("# {} = ", k.name))
            .collect();
        EXAMPLE
            .lines()
            .map(
                |line| match with_default.iter().any(|p| line.starts_with(p)) {
                    true => &line[2..],
                    false => line,
                },
            )
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_example_settings_file_names_every_key_and_loads() {
        for key in keys::all() {
            let line = format!("\n# {} = ", key.name);
            assert!(
                EXAMPLE.contains(&line),
                "{} is not in the example",
                key.name
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signet.toml");
        std::fs::write(&path, example_with_defaults()).unwrap();
        let sources = Sources::new(&ALL, HashMap::new(), Some(path), |_: &str| None);
        for key in keys::all() {
            if let Some(default) = &key.default {
                let (value, _) = sources.value(key.name).expect("uncommented");
                assert_eq!(&value, default, "{}", key.name);
            }
        }
        let loaded = load(sources).unwrap();
        let default = Settings::default();
        assert_eq!(loaded.listen, default.listen);
        assert_eq!(loaded.limits.idle_timeout, default.limits.idle_timeout);
        assert_eq!(loaded.keygen.pool, default.keygen.pool);
        assert_eq!(loaded.dns.timeout, default.dns.timeout);
        assert_eq!(loaded.rate_limit, default.rate_limit);
    }
}
