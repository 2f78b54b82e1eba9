//! The DNS port over hickory-resolver (placeholder: the DNS helper replaces this file).

use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use signet_domain::ports::DnsLookup;
use signet_domain::TxtAnswer;

/// Resolver settings.
#[derive(Debug, Clone)]
pub struct DnsSettings {
    /// Name servers; empty means the system's.
    pub servers: Vec<SocketAddr>,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Attempts per lookup.
    pub attempts: usize,
}

/// TXT lookups through hickory-resolver.
pub struct HickoryDns;

impl HickoryDns {
    /// Builds the resolver.
    pub fn new(settings: &DnsSettings) -> anyhow::Result<Self> {
        let _ = settings;
        Ok(Self)
    }
}

#[async_trait]
impl DnsLookup for HickoryDns {
    async fn txt(&self, name: &str) -> TxtAnswer {
        TxtAnswer::Failed(format!("resolver not built yet for {name}"))
    }
}
