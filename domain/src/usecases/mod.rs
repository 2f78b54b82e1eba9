//! The use cases of the model, shared by both dialects and the CLI.

mod domains;
mod keys;
mod recheck;
mod tenants;

use std::sync::Arc;

use chrono::Duration;

pub use domains::{AuthorityChange, DomainView, RegisterDomain};
pub use keys::{CreateKey, DefaultFlag, DeleteRule, KeyMaterial, KeyUpdate};
pub use recheck::{RecheckReport, RecheckRound};
pub use tenants::IssuedApiKey;

use crate::ports::{Clock, DnsLookup, DomainStore, KeyGenerator, KeyStore, TenantStore};

/// The adapters the core runs on.
#[derive(Clone)]
pub struct Ports {
    /// DKIM keys.
    pub keys: Arc<dyn KeyStore>,
    /// Sending domains.
    pub domains: Arc<dyn DomainStore>,
    /// Tenants and API keys.
    pub tenants: Arc<dyn TenantStore>,
    /// RSA generation.
    pub generator: Arc<dyn KeyGenerator>,
    /// TXT lookups.
    pub dns: Arc<dyn DnsLookup>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// Tunables of the use cases.
#[derive(Debug, Clone, Copy)]
pub struct CoreSettings {
    /// A DNS result younger than this is trusted for activation without a new lookup.
    pub dns_fresh_for: Duration,
}

impl Default for CoreSettings {
    fn default() -> Self {
        Self {
            dns_fresh_for: Duration::seconds(60),
        }
    }
}

/// Signet's core: every use case, over the ports. Cheap to clone.
#[derive(Clone)]
pub struct Signet {
    ports: Ports,
    settings: CoreSettings,
}

impl Signet {
    /// Builds the core over its adapters.
    pub fn new(ports: Ports, settings: CoreSettings) -> Self {
        Self { ports, settings }
    }

    /// The adapters, for readiness checks and background work.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }
}
