//! The use cases of the model, shared by both dialects and the CLI.

mod audit;
mod delegated;
mod domains;
mod fleets;
mod keys;
mod publishing;
mod recheck;
mod rotation;
mod tenants;
mod zone;

use std::sync::Arc;

use chrono::Duration;

pub use crate::key::DeleteRule;
pub use crate::sending_domain::{DomainPage, DomainView};
pub use domains::{AuthorityChange, RegisterDomain};
pub use keys::{CreateKey, DefaultFlag, KeyMaterial, KeyUpdate};
pub use publishing::{PublishReport, PublishRound};
pub use recheck::{RecheckReport, RecheckRound};
pub use rotation::{RotationReport, RotationRound, RotationUpdate, RotationView};
pub use tenants::{Admin, IssuedApiKey};

use crate::audit::{Action, AuditNote};
use crate::delegation::ServedKeys;
use crate::names::DomainName;
use crate::origin::Origin;
use crate::ports::{
    AuditLog, Clock, DnsLookup, DnsUpdater, DomainStore, FleetStore, KeyGenerator, KeyStore,
    PublisherStore, RotationStore, TenantStore,
};
use crate::rotation::Span;
use crate::shared_state::Leases;

/// The adapters the core runs on.
#[derive(Clone)]
pub struct Ports {
    /// DKIM keys.
    pub keys: Arc<dyn KeyStore>,
    /// Sending domains.
    pub domains: Arc<dyn DomainStore>,
    /// Rotation settings and multi-key rotation steps.
    pub rotation: Arc<dyn RotationStore>,
    /// Tenants and API keys.
    pub tenants: Arc<dyn TenantStore>,
    /// Fleets and their feeds.
    pub fleets: Arc<dyn FleetStore>,
    /// The audit trail, to read.
    pub audit: Arc<dyn AuditLog>,
    /// RSA generation.
    pub generator: Arc<dyn KeyGenerator>,
    /// TXT lookups.
    pub dns: Arc<dyn DnsLookup>,
    /// Publishers into tenants' own DNS, and what each wrote.
    pub publishers: Arc<dyn PublisherStore>,
    /// RFC 2136 updates to tenants' name servers.
    pub updater: Arc<dyn DnsUpdater>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Leases shared by the nodes, so one node does each background job.
    pub leases: Arc<dyn Leases>,
    /// What Signet's DNS zone serves.
    pub zone: Arc<dyn ServedKeys>,
}

/// Tunables of the use cases.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// A DNS result younger than this is trusted for activation without a new lookup.
    pub dns_fresh_for: Duration,
    /// The shortest automatic rotation interval an authority may set.
    pub rotation_min_interval: Span,
    /// The zone Signet answers DNS for, where delegated domains' CNAMEs
    /// point; `None` when Signet serves no zone, so no domain can delegate.
    pub dns_zone: Option<DomainName>,
}

impl Default for CoreSettings {
    fn default() -> Self {
        Self {
            dns_fresh_for: Duration::seconds(60),
            rotation_min_interval: Span::seconds(3600),
            dns_zone: None,
        }
    }
}

/// Signet's core: the use cases a tenant's requests reach, over the ports.
/// Tenant administration is apart, in [`Admin`]. Cheap to clone: every
/// request's middleware clones it, so it is two shared pointers, not one
/// per port.
#[derive(Clone)]
pub struct Signet {
    ports: Arc<Ports>,
    settings: Arc<CoreSettings>,
}

impl Signet {
    /// Builds the core over its adapters.
    pub fn new(ports: Ports, settings: CoreSettings) -> Self {
        Self {
            ports: Arc::new(ports),
            settings: Arc::new(settings),
        }
    }
}

impl Signet {
    /// A note of `action` by `origin`, now.
    fn note(&self, origin: &Origin, action: Action) -> AuditNote {
        AuditNote::new(origin, action, self.ports.clock.now())
    }
}
