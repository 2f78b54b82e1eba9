//! Every setting once: its settings-file key, from which its flag
//! (`--database-url`) and variable (`SIGNET_DATABASE_URL`) follow, the
//! commands that read it, its default and its help.

use clap::{Arg, ArgAction};

use crate::dns::DEFAULT_DNS_CACHE_TTL;
use crate::limits::{
    DEFAULT_BODY_LIMIT, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_KEYGEN_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_REQUEST_TIMEOUT,
};
use crate::settings::database::{DEFAULT_DATABASE_TIMEOUT, DEFAULT_DATABASE_URL};
use crate::settings::{
    DEFAULT_DNS_RRL_RATE, DEFAULT_DNS_RRL_SLIP, DEFAULT_DNS_TTL, DEFAULT_LISTEN,
    DEFAULT_REDIS_KEY_PREFIX,
};
use crate::{dns, publish, ratelimit, recheck, rotation};
use signet_keygen::{DEFAULT_KEY_POOL, DEFAULT_QUEUE_TIMEOUT};

/// The help heading of the settings every command reads.
pub const EVERY_HEADING: &str = "Settings";

/// Which commands read a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Every command, the agent included.
    Every,
    /// Every command that opens the database.
    Database,
    /// `serve` and the administration commands, which announce changes.
    Shared,
    /// `serve` alone.
    Server,
}

impl Scope {
    /// The help heading of the settings of this scope.
    fn heading(self) -> &'static str {
        match self {
            Self::Every => EVERY_HEADING,
            Self::Database => "Database",
            Self::Shared => "Shared state",
            Self::Server => "Server",
        }
    }
}

/// One setting.
#[derive(Debug, Clone)]
pub struct Key {
    /// The settings-file key; the flag and variable names follow from it.
    pub name: &'static str,
    /// Who reads it.
    pub scope: Scope,
    /// Its default, as text; `None` when it has none or depends on the host.
    pub default: Option<String>,
    /// A flag with no value, such as `--trust-forwarded-headers`.
    pub switch: bool,
    /// Its one-line help.
    pub help: &'static str,
}

impl Key {
    /// `--database-url`.
    pub fn flag(&self) -> String {
        format!("--{}", self.name.replace('_', "-"))
    }

    /// `SIGNET_DATABASE_URL`.
    pub fn var(&self) -> String {
        format!("SIGNET_{}", self.name.to_ascii_uppercase())
    }

    /// The flag, under its scope's heading, with its default in the help.
    pub fn arg(&self) -> Arg {
        let help = match &self.default {
            Some(default) => format!("{} [default: {default}]", self.help),
            None => self.help.to_owned(),
        };
        let arg = Arg::new(self.name)
            .long(self.name.replace('_', "-"))
            .help(help)
            .help_heading(self.scope.heading());
        if self.switch {
            arg.action(ArgAction::SetTrue)
        } else {
            arg.action(ArgAction::Set)
                .value_name(self.name.to_ascii_uppercase())
        }
    }
}

/// The settings a command reads, by scope: `serve` reads every one.
pub fn keys(scopes: &[Scope]) -> impl Iterator<Item = Key> + '_ {
    all().into_iter().filter(|k| scopes.contains(&k.scope))
}

/// Every setting, in the order of the example settings file.
pub fn all() -> Vec<Key> {
    use Scope::{Database, Every, Server, Shared};
    let key = |name, scope, default: Option<String>, help| Key {
        name,
        scope,
        default,
        switch: false,
        help,
    };
    let some = |s: &str| Some(s.to_owned());
    let dns = dns::DnsSettings::default();
    let key_cache = signet_domain::key_cache::KeyCacheSettings::default();
    vec![
        key("log_format", Every, some("text"), "Log lines as `text` or `json`"),
        key("database_url", Database, some(DEFAULT_DATABASE_URL),
            "Database: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST/DB`"),
        key("database_timeout", Database, some(DEFAULT_DATABASE_TIMEOUT),
            "Longest a database call may wait (`250ms`, `5s`); longer is 503"),
        key("master_key", Database, None,
            "Master key sealing private keys at rest: base64 of 32 bytes [default: a key file beside a SQLite database]"),
        key("master_key_file", Database, None, "A file holding the master key (base64 of 32 bytes)"),
        key("master_key_previous", Database, None,
            "Retired master keys, comma-separated base64: they open what they sealed"),
        key("redis_url", Shared, None,
            "Redis shared by every node (`redis://[:PASSWORD@]HOST[:PORT][/DB]`) [default: in-process state, for a single node]"),
        key("redis_key_prefix", Shared, some(DEFAULT_REDIS_KEY_PREFIX),
            "Prefix of every Redis key Signet writes"),
        key("listen", Server, some(DEFAULT_LISTEN), "Address to listen on"),
        key("tls_cert_file", Server, None,
            "Serve HTTPS with this PEM certificate chain (needs the key file); reloaded when it changes or on SIGHUP"),
        key("tls_key_file", Server, None, "The PEM private key of the TLS certificate"),
        key("body_limit", Server, Some(DEFAULT_BODY_LIMIT.to_string()),
            "Largest request body in bytes; larger ones get 413"),
        key("request_timeout", Server, some(DEFAULT_REQUEST_TIMEOUT),
            "Longest a request may take; slower ones get 408"),
        key("max_connections", Server, Some(DEFAULT_MAX_CONNECTIONS.to_string()),
            "Most connections served at once (the open-file limit is raised to fit); near it, unfinished ones are shed"),
        key("max_connections_per_ip", Server, Some(DEFAULT_MAX_CONNECTIONS_PER_IP.to_string()),
            "Most connections open from one client address; 0 is no cap (behind a load balancer)"),
        key("header_read_timeout", Server, some(DEFAULT_HEADER_READ_TIMEOUT),
            "Longest from connecting, or from a request's first byte, to its complete head"),
        key("body_read_timeout", Server, some(DEFAULT_BODY_READ_TIMEOUT),
            "Longest a request body may go without sending a byte; slower ones get 408"),
        key("idle_timeout", Server, some(DEFAULT_IDLE_TIMEOUT),
            "Longest a kept-alive connection may idle between requests"),
        key("keygen_concurrency", Server, None,
            "RSA generations running at once [default: number of cores]"),
        key("keygen_timeout", Server, some(DEFAULT_KEYGEN_TIMEOUT),
            "Longest a key-generating request may take, in place of the request timeout"),
        key("keygen_queue_timeout", Server, some(DEFAULT_QUEUE_TIMEOUT),
            "Longest a key generation may wait for a free generator; longer is 503"),
        key("key_pool", Server, some(DEFAULT_KEY_POOL),
            "RSA keys made ahead of requests: `BITS:DEPTH` pairs, comma-separated, or `off`"),
        key("key_cache_max_keys", Server, Some(key_cache.max_keys.to_string()),
            "DKIM keys held in memory for reads, over every tenant; 0 turns the read model off"),
        key("key_cache_max_tenant_keys", Server, Some(key_cache.max_tenant_keys.to_string()),
            "A tenant with more DKIM keys is not held in memory: its reads go to the database"),
        key("dns_servers", Server, None,
            "DNS servers (`ip:port`, comma-separated) [default: the system's]"),
        key("dns_timeout", Server, Some(humantime::format_duration(dns.timeout).to_string()),
            "Timeout of one DNS attempt"),
        key("dns_attempts", Server, Some(dns.attempts.to_string()), "Attempts per DNS lookup"),
        key("dns_cache_ttl", Server, some(DEFAULT_DNS_CACHE_TTL),
            "How long DNS answers are shared between lookups and nodes; 0 turns the cache off"),
        key("dns_recheck_interval", Server, some(recheck::DEFAULT_INTERVAL),
            "How old a key's DNS result may get before the background looks it up again; 0 is never"),
        key("dns_recheck_concurrency", Server, Some(recheck::DEFAULT_CONCURRENCY.to_string()),
            "Background DNS lookups in flight at once, per node"),
        key("dns_zone", Server, None,
            "The zone Signet answers for (such as `dkim.signet.example`): delegated domains' CNAMEs point into it"),
        key("dns_listen", Server, None,
            "Answer DNS for the zone on this address, UDP and TCP [default: off]"),
        key("dns_nameservers", Server, None,
            "The zone's NS names, comma-separated [default: `ns1.<zone>`]"),
        key("dns_ttl", Server, Some(DEFAULT_DNS_TTL.to_string()), "TTL of served records, in seconds"),
        key("dns_tsig_key", Server, None,
            "TSIG key of zone transfers and NOTIFYs: `NAME:ALGORITHM:BASE64SECRET` [default: transfers refused]"),
        key("dns_notify", Server, None,
            "Secondaries (`ip:port`, comma-separated) sent a signed NOTIFY on every change"),
        key("dns_rrl_rate", Server, Some(DEFAULT_DNS_RRL_RATE.to_string()),
            "UDP responses a second per source network (/24, /56); 0 turns response-rate limiting off"),
        key("dns_rrl_slip", Server, Some(DEFAULT_DNS_RRL_SLIP.to_string()),
            "Every how many responses over the rate one is sent empty and truncated; 0 drops them all"),
        Key {
            switch: true,
            ..key("trust_forwarded_headers", Server, some("false"),
                "Trust `X-Forwarded-Proto`/`X-Forwarded-Host` (behind a proxy you run)")
        },
        key("rate_limit_capacity", Server, Some(ratelimit::DEFAULT_CAPACITY.to_string()),
            "Requests an API key may send in a burst; 0 turns rate limiting off"),
        key("rate_limit_refill_per_second", Server,
            Some(ratelimit::DEFAULT_REFILL_PER_SECOND.to_string()),
            "Requests per second an API key may sustain"),
        key("rotation_min_interval", Server, some(rotation::DEFAULT_MIN_INTERVAL),
            "The shortest automatic rotation interval an authority may set"),
        key("publish_interval", Server, some(publish::DEFAULT_INTERVAL),
            "How often the background sends RFC 2136 updates to tenants' name servers; 0 is never"),
        key("publish_timeout", Server, some(publish::DEFAULT_TIMEOUT),
            "Longest one RFC 2136 update may take, from connecting to the answer"),
        key("console_jwks_url", Server, None,
            "The console's identity provider: URL of its JWKS (needs the issuer and audience)"),
        key("console_jwt_issuer", Server, None,
            "The `iss` the identity provider's console tokens carry"),
        key("console_jwt_audience", Server, None,
            "The `aud` the identity provider's console tokens must name"),
    ]
}
