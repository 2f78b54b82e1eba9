//! The DNS port over hickory-resolver: TXT lookups against the configured (or
//! the system's) name servers, with no cache of its own; freshness is the
//! core's and the shared cache's business.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::rdata::TXT;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{Name, ResolveError, TokioResolver};
use signet_domain::ports::DnsLookup;
use signet_domain::TxtAnswer;

/// How long a DNS answer is shared between lookups and nodes.
pub const DEFAULT_DNS_CACHE_TTL: &str = "60s";

/// Resolver settings.
#[derive(Debug, Clone)]
pub struct DnsSettings {
    /// Name servers; empty means the system's (`/etc/resolv.conf`).
    pub servers: Vec<SocketAddr>,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Attempts per lookup (at least one is always made).
    pub attempts: usize,
}

impl Default for DnsSettings {
    /// The system's name servers, 2 s per attempt, 2 attempts.
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            timeout: Duration::from_secs(2),
            attempts: 2,
        }
    }
}

/// TXT lookups through hickory-resolver.
pub struct HickoryDns {
    resolver: TokioResolver,
}

impl HickoryDns {
    /// Builds the resolver: each server over UDP with EDNS, and TCP when an
    /// answer comes back truncated; no search domains, no cache.
    pub fn new(settings: &DnsSettings) -> anyhow::Result<Self> {
        let mut servers: Vec<SocketAddr> = if settings.servers.is_empty() {
            let (system, _) = hickory_resolver::system_conf::read_system_conf()
                .context("reading the system's DNS configuration")?;
            system
                .name_servers()
                .iter()
                .map(|server| server.socket_addr)
                .collect()
        } else {
            settings.servers.clone()
        };
        // The system's list names each server twice (UDP, TCP).
        servers.dedup();
        anyhow::ensure!(!servers.is_empty(), "no DNS name server configured");

        let mut config = ResolverConfig::new();
        for addr in servers {
            config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
            config.add_name_server(NameServerConfig::new(addr, Protocol::Tcp));
        }

        let mut builder =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default());
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = settings.timeout;
        // hickory counts retries after the first try.
        opts.attempts = settings.attempts.saturating_sub(1);
        opts.edns0 = true;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.cache_size = 0;
        opts.positive_max_ttl = Some(Duration::ZERO);
        opts.negative_max_ttl = Some(Duration::ZERO);
        Ok(Self {
            resolver: builder.build(),
        })
    }
}

#[async_trait]
impl DnsLookup for HickoryDns {
    async fn txt(&self, name: &str) -> TxtAnswer {
        let name = match absolute(name) {
            Ok(name) => name,
            Err(e) => return TxtAnswer::Failed(format!("invalid name {name:?}: {e}")),
        };
        match self.resolver.txt_lookup(name).await {
            Ok(lookup) => {
                let records: Vec<String> = lookup.iter().map(joined).collect();
                if records.is_empty() {
                    TxtAnswer::NoRecords
                } else {
                    TxtAnswer::Records(records)
                }
            }
            Err(e) => classify(&e),
        }
    }
}

/// The name as a fully qualified name, so no search domain is ever tried.
fn absolute(name: &str) -> Result<Name, hickory_resolver::proto::ProtoError> {
    let mut name = Name::from_ascii(name.trim_end_matches('.'))?;
    name.set_fqdn(true);
    Ok(name)
}

/// One TXT record's character-strings joined, as DKIM reads them.
fn joined(txt: &TXT) -> String {
    let bytes: Vec<u8> = txt
        .txt_data()
        .iter()
        .flat_map(|s| s.iter().copied())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What a failed lookup says about the record.
fn classify(error: &ResolveError) -> TxtAnswer {
    let Some(proto) = error.proto() else {
        return TxtAnswer::Failed(error.to_string());
    };
    match proto.kind() {
        ProtoErrorKind::NoRecordsFound { response_code, .. } => match *response_code {
            ResponseCode::NoError => TxtAnswer::NoRecords,
            ResponseCode::NXDomain => TxtAnswer::NoSuchName,
            code => TxtAnswer::Failed(format!("name server answered {code}")),
        },
        ProtoErrorKind::Timeout => TxtAnswer::Failed("timed out".into()),
        _ => TxtAnswer::Failed(proto.to_string()),
    }
}

/// The DNS port of processes that never check records (the administration
/// commands), so they run wherever the database is reachable, whatever the
/// resolver configuration. Every lookup fails, which reads as `unknown`.
pub struct NoLookups;

#[async_trait]
impl DnsLookup for NoLookups {
    async fn txt(&self, _name: &str) -> TxtAnswer {
        TxtAnswer::Failed("this process does not look DNS records up".into())
    }
}
