//! Sending domains (Mailgun's domains) and their DKIM authority.

use chrono::{DateTime, Utc};

use crate::names::DomainName;

/// A domain a tenant sends mail from. It signs with its authority's
/// `default_for_domain` key; the authority is itself or a parent domain
/// registered by the same tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendingDomain {
    /// The domain.
    pub name: DomainName,
    /// Whose keys sign its mail.
    pub authority: DomainName,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

impl SendingDomain {
    /// Whether it is its own DKIM authority.
    pub fn is_own_authority(&self) -> bool {
        self.name == self.authority
    }
}
