//! The settings composed from their sources: each value given is parsed by
//! its setting's parser, each one not given keeps its part's default.

use std::net::SocketAddr;

use anyhow::{anyhow, bail};
use clap::ValueEnum as _;
use secrecy::SecretString;
use signet_domain::auth_cache::AuthCacheSettings;
use signet_domain::key_cache::KeyCacheSettings;
use signet_storage::MasterKey;

use super::{positive_duration, ConsoleSettings, Database, MasterKeySource, Settings, Sources};
use crate::dns::DnsSettings;
use crate::limits::Limits;
use crate::publish::Publish;
use crate::ratelimit::RateLimit;
use crate::recheck::Recheck;
use crate::rotation::Rotation;
use crate::settings::parse_duration;
use crate::telemetry::LogFormat;
use signet_connections::tls::TlsFiles;
use signet_fleet::FeedCacheSettings;
use signet_keygen::{self as keygen, KeyPool};

/// The log format the sources give (`text` unless told otherwise).
pub fn log_format(sources: &Sources) -> anyhow::Result<LogFormat> {
    Ok(sources
        .get("log_format", |s| LogFormat::from_str(s, true))?
        .unwrap_or_default())
}

/// The settings the sources give, over the defaults; an error if the
/// settings file could not be read or a value is invalid, naming where the
/// value came from.
pub fn load(mut sources: Sources) -> anyhow::Result<Settings> {
    sources.check()?;
    let d = Settings::default();
    let s = &sources;
    let master_key = match (s.value("master_key"), s.value("master_key_file")) {
        (Some((_, key)), Some((_, file))) => {
            bail!("{key} and {file} both name a master key: set only one")
        }
        (Some((key, origin)), None) => {
            MasterKey::from_base64(&key).map_err(|e| anyhow!("invalid {origin}: {e}"))?;
            MasterKeySource::Base64(SecretString::from(key))
        }
        (None, Some((path, _))) => MasterKeySource::File(path.into()),
        (None, None) => MasterKeySource::LocalFile,
    };
    // An empty URL, key or name is none, as an empty variable is.
    let text = |name| s.value(name).map(|(v, _)| v).filter(|v| !v.is_empty());
    let secret = |name| text(name).map(SecretString::from);
    if let Some((keys, origin)) = s.value("master_key_previous") {
        let entries = keys.split(',').map(str::trim).filter(|k| !k.is_empty());
        for (i, key) in entries.enumerate() {
            MasterKey::from_base64(key)
                .map_err(|e| anyhow!("invalid {origin}: entry {} {e}", i + 1))?;
        }
    }
    let tls = match (s.value("tls_cert_file"), s.value("tls_key_file")) {
        (Some((cert, _)), Some((key, _))) => Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        }),
        (None, None) => None,
        (Some((_, given)), None) | (None, Some((_, given))) => bail!(
            "{given} is set without its pair: TLS needs both SIGNET_TLS_CERT_FILE and \
             SIGNET_TLS_KEY_FILE (or --tls-cert-file and --tls-key-file), or neither"
        ),
    };
    Ok(Settings {
        listen: s.get("listen", address)?.unwrap_or(d.listen),
        database_url: s
            .get("database_url", |url| {
                Database::of(url).map_err(|e| e.to_string())?;
                Ok(SecretString::from(url))
            })?
            .unwrap_or(d.database_url),
        database_timeout: s
            .get("database_timeout", positive_duration)?
            .unwrap_or(d.database_timeout),
        master_key,
        previous_master_keys: secret("master_key_previous"),
        log_format: log_format(s)?,
        limits: Limits {
            body_limit: s.get("body_limit", count)?.unwrap_or(d.limits.body_limit),
            request_timeout: s
                .get("request_timeout", positive_duration)?
                .unwrap_or(d.limits.request_timeout),
            keygen_timeout: s
                .get("keygen_timeout", positive_duration)?
                .unwrap_or(d.limits.keygen_timeout),
            max_connections: s
                .get("max_connections", positive)?
                .unwrap_or(d.limits.max_connections),
            max_connections_per_ip: s
                .get("max_connections_per_ip", count)?
                .unwrap_or(d.limits.max_connections_per_ip),
            header_read_timeout: s
                .get("header_read_timeout", positive_duration)?
                .unwrap_or(d.limits.header_read_timeout),
            body_read_timeout: s
                .get("body_read_timeout", positive_duration)?
                .unwrap_or(d.limits.body_read_timeout),
            idle_timeout: s
                .get("idle_timeout", positive_duration)?
                .unwrap_or(d.limits.idle_timeout),
        },
        keygen: keygen::Config {
            concurrency: s
                .get("keygen_concurrency", positive)?
                .unwrap_or(d.keygen.concurrency),
            queue_timeout: s
                .get("keygen_queue_timeout", positive_duration)?
                .unwrap_or(d.keygen.queue_timeout),
            pool: s.get("key_pool", KeyPool::parse)?.unwrap_or(d.keygen.pool),
        },
        dns: DnsSettings {
            servers: s.get("dns_servers", addresses)?.unwrap_or(d.dns.servers),
            timeout: s
                .get("dns_timeout", positive_duration)?
                .unwrap_or(d.dns.timeout),
            attempts: s.get("dns_attempts", positive)?.unwrap_or(d.dns.attempts),
        },
        trust_forwarded_headers: s
            .get("trust_forwarded_headers", boolish)?
            .unwrap_or(d.trust_forwarded_headers),
        redis_url: secret("redis_url"),
        redis_key_prefix: s
            .value("redis_key_prefix")
            .map_or(d.redis_key_prefix, |(prefix, _)| prefix),
        rate_limit: RateLimit {
            capacity: s
                .get("rate_limit_capacity", |v| number(v, "a whole number"))?
                .unwrap_or(d.rate_limit.capacity),
            refill_per_second: s
                .get("rate_limit_refill_per_second", positive_rate)?
                .unwrap_or(d.rate_limit.refill_per_second),
        },
        dns_cache_ttl: s
            .get("dns_cache_ttl", parse_duration)?
            .unwrap_or(d.dns_cache_ttl),
        dns_recheck: Recheck {
            interval: s
                .get("dns_recheck_interval", parse_duration)?
                .unwrap_or(d.dns_recheck.interval),
            concurrency: s
                .get("dns_recheck_concurrency", positive)?
                .unwrap_or(d.dns_recheck.concurrency),
        },
        rotation: Rotation {
            min_interval: s
                .get("rotation_min_interval", parse_duration)?
                .unwrap_or(d.rotation.min_interval),
        },
        publish: Publish {
            interval: s
                .get("publish_interval", parse_duration)?
                .unwrap_or(d.publish.interval),
            timeout: s
                .get("publish_timeout", parse_duration)?
                .unwrap_or(d.publish.timeout),
        },
        auth_cache: AuthCacheSettings::default(),
        feed_cache: FeedCacheSettings::default(),
        key_cache: KeyCacheSettings {
            max_keys: s
                .get("key_cache_max_keys", count)?
                .unwrap_or(d.key_cache.max_keys),
            max_tenant_keys: s
                .get("key_cache_max_tenant_keys", count)?
                .unwrap_or(d.key_cache.max_tenant_keys),
            ..d.key_cache
        },
        console: ConsoleSettings {
            jwks_url: text("console_jwks_url"),
            jwt_issuer: text("console_jwt_issuer"),
            jwt_audience: text("console_jwt_audience"),
            ..d.console
        },
        tls,
        dns_zone: super::dns_zone::load(s)?,
    })
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.trim().parse().map_err(|_| format!("`{s}` is not {what}"))
}

/// A count, zero included.
fn count(s: &str) -> Result<usize, String> {
    number(s, "a whole number")
}

/// A count of at least one.
pub(crate) fn positive(s: &str) -> Result<usize, String> {
    match number(s, "a whole number of at least 1")? {
        0 => Err(format!("`{s}` is not a whole number of at least 1")),
        n => Ok(n),
    }
}

/// A finite rate of at least one request in a thousand seconds.
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.001 => Ok(r),
        _ => Err(format!("`{s}` is not a number of at least 0.001")),
    }
}

pub(super) fn address(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not an address such as 127.0.0.1:8080"))
}

/// `ip:port` addresses separated by commas.
pub(super) fn addresses(s: &str) -> Result<Vec<SocketAddr>, String> {
    s.split(',').map(address).collect()
}

/// `true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0`.
fn boolish(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "y" => Ok(true),
        "false" | "no" | "off" | "0" | "n" => Ok(false),
        _ => Err(format!("`{s}` is neither true nor false")),
    }
}
