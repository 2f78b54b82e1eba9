//! Sending domains (Mailgun's domains) and their DKIM authority.

use chrono::{DateTime, Utc};

use crate::delegated_keys::Delegation;
use crate::delegation::ZoneLabel;
use crate::key::DkimKey;
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
    /// Its label in Signet's zone when its DKIM records are delegated to
    /// Signet (Automatic Sender Security); `None` when the tenant publishes
    /// TXT records itself.
    pub zone_label: Option<ZoneLabel>,
}

impl SendingDomain {
    /// Whether it is its own DKIM authority.
    pub fn is_own_authority(&self) -> bool {
        self.name == self.authority
    }
}

/// Which of a tenant's domains a listing shows, in what order, which page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainQuery {
    /// Only domains that sign with this authority's key.
    pub authority: Option<DomainName>,
    /// Only domains whose name contains this text, ignoring ASCII case.
    pub name_contains: Option<String>,
    /// Only domains whose signing key's record was found valid (`true`), or
    /// those without such a key (`false`).
    pub verified: Option<bool>,
    /// The order of the whole list, before `skip`.
    pub order: DomainOrder,
    /// How many matching domains to pass over.
    pub skip: u64,
    /// At most this many domains.
    pub limit: u64,
}

/// The order of a domain listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DomainOrder {
    /// Newest registration first; domains registered at once by name.
    #[default]
    NewestFirst,
    /// By name, a to z.
    NameAscending,
    /// By name, z to a.
    NameDescending,
}

/// A domain with the key it signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainView {
    /// The domain.
    pub domain: SendingDomain,
    /// Its authority's default key, if the authority has one.
    pub signing_key: Option<DkimKey>,
    /// Its authority's CNAMEs when the authority is delegated and Signet
    /// serves a zone. Filled by the core; storage leaves it `None`.
    pub delegation: Option<Delegation>,
}

/// A page of a domain listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainPage {
    /// How many domains match the query, on every page.
    pub total: u64,
    /// This page's domains.
    pub views: Vec<DomainView>,
}
