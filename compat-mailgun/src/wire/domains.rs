//! Sending domains as Mailgun shows them. Signet keeps only what DKIM needs;
//! the other fields Mailgun's clients require carry Mailgun's defaults.

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use signet_domain::{DnsStatus, DomainView, Tenant};
use utoipa::ToSchema;

use super::Record;

/// A sending domain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Domain {
    /// When it was registered, RFC 1123 (`Thu, 13 Oct 2011 18:02:00 GMT`).
    pub created_at: String,
    /// A stable opaque identifier: 24 hex digits.
    pub id: String,
    /// Always false.
    pub is_disabled: bool,
    /// The domain name, lower-case.
    pub name: String,
    /// Always false.
    pub require_tls: bool,
    /// Always false.
    pub skip_verification: bool,
    /// `postmaster@{name}`.
    pub smtp_login: String,
    /// Always `disabled`.
    pub spam_action: String,
    /// `active` once the DKIM record of its signing key is valid, else `unverified`.
    pub state: String,
    /// Always `custom`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether its DKIM records are delegated to Signet's zone: the tenant
    /// publishes CNAMEs once (`sending_dns_records`), and rotations need
    /// no DNS change.
    pub use_automatic_sender_security: bool,
    /// Always `email`.
    pub web_prefix: String,
    /// Always `http`.
    pub web_scheme: String,
    /// Always false.
    pub wildcard: bool,
    /// Always false.
    pub encrypt_incoming_message: bool,
    /// Mailgun's default, three days in seconds.
    pub message_ttl: i32,
}

/// Mailgun's default message TTL: three days.
const MESSAGE_TTL: i32 = 3 * 24 * 3600;

impl Domain {
    /// The domain of a view, for its tenant.
    pub fn of(tenant: &Tenant, view: &DomainView) -> Self {
        let domain = &view.domain;
        Self {
            created_at: domain
                .created_at
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string(),
            id: opaque_id(tenant, domain.name.as_str()),
            is_disabled: false,
            name: domain.name.to_string(),
            require_tls: false,
            skip_verification: false,
            smtp_login: format!("postmaster@{}", domain.name),
            spam_action: "disabled".into(),
            state: state(view).into(),
            kind: "custom".into(),
            use_automatic_sender_security: domain.zone_label.is_some(),
            web_prefix: "email".into(),
            web_scheme: "http".into(),
            wildcard: false,
            encrypt_incoming_message: false,
            message_ttl: MESSAGE_TTL,
        }
    }
}

/// `active` once the DKIM record of the domain's signing key is valid, else
/// `unverified`.
pub fn state(view: &DomainView) -> &'static str {
    let verified = view
        .signing_key
        .as_ref()
        .is_some_and(|key| key.dns.status == DnsStatus::Valid);
    if verified {
        "active"
    } else {
        "unverified"
    }
}

/// A stable identifier that says nothing about other domains or tenants: it
/// hashes only names the caller already knows, never a database row id.
pub(crate) fn opaque_id(tenant: &Tenant, name: &str) -> String {
    let digest = Sha256::digest(format!("{}/{name}", tenant.name).as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The DNS records a domain needs for sending: the DKIM TXT record of the
/// key it signs with (none if its authority has no signing key), or, when
/// its authority is delegated, one CNAME per selector of its pairs.
fn sending_records(view: &DomainView) -> Vec<Record> {
    match &view.delegation {
        Some(delegation) => delegation.records.iter().map(Record::from).collect(),
        None => view.signing_key.iter().map(Record::from).collect(),
    }
}

/// A domain with its DNS records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindDomainByNameResp {
    /// Set by the verify call: `Domain DNS records have been updated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The domain.
    pub domain: Domain,
    /// Always empty: Signet does not receive mail.
    pub receiving_dns_records: Vec<Record>,
    /// The DKIM TXT record of the key the domain signs with, or its CNAMEs
    /// (Automatic Sender Security).
    pub sending_dns_records: Vec<Record>,
}

impl FindDomainByNameResp {
    /// The view of a domain, for its tenant.
    pub fn of(tenant: &Tenant, view: &DomainView, message: Option<&str>) -> Self {
        Self {
            message: message.map(str::to_owned),
            domain: Domain::of(tenant, view),
            receiving_dns_records: Vec::new(),
            sending_dns_records: sending_records(view),
        }
    }
}

/// A newly registered domain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreateDomainResp {
    /// `Domain DNS records have been created`.
    pub message: String,
    /// The domain.
    pub domain: Domain,
    /// Always empty: Signet does not receive mail.
    pub receiving_dns_records: Vec<Record>,
    /// The DKIM TXT record to publish, or the CNAMEs (Automatic Sender
    /// Security).
    pub sending_dns_records: Vec<Record>,
}

impl CreateDomainResp {
    /// The answer to registering a domain.
    pub fn of(tenant: &Tenant, view: &DomainView) -> Self {
        Self {
            message: "Domain DNS records have been created".into(),
            domain: Domain::of(tenant, view),
            receiving_dns_records: Vec::new(),
            sending_dns_records: sending_records(view),
        }
    }
}

/// A page of domains.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListDomainResponse {
    /// How many domains match, over all pages.
    pub total_count: u64,
    /// The domains of this page.
    pub items: Vec<Domain>,
}

/// The outcome of a change of DKIM authority.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReassignDkimAuthorityResp {
    /// What happened.
    pub message: String,
    /// The DKIM TXT record the domain now signs with.
    pub sending_dns_records: Vec<Record>,
    /// Whether the authority changed.
    pub changed: bool,
}

impl ReassignDkimAuthorityResp {
    /// The answer to a change of authority.
    pub fn of(view: &DomainView, changed: bool) -> Self {
        let message = if changed {
            "Domain DKIM authority has been changed"
        } else {
            "Domain DKIM authority is unchanged"
        };
        Self {
            message: message.into(),
            sending_dns_records: sending_records(view),
            changed,
        }
    }
}
