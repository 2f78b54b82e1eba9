//! The JSON bodies of Mailgun's answers and the forms of its requests, named
//! after the schemas of Mailgun's OpenAPI document.

mod domains;
mod forms;
pub mod links;
pub mod messages;
mod rotation;
pub mod schemas;

pub use domains::{
    CreateDomainResp, Domain, FindDomainByNameResp, ListDomainResponse, ReassignDkimAuthorityResp,
};
pub use forms::{
    CreateDomainForm, CreateKeyForm, DeleteKeyQuery, DkimAuthorityForm, DkimSelectorForm,
    ListDomainsQuery, ListKeysQuery, ZoneQuery, MAX_DOMAIN_LIMIT, MAX_DOMAIN_SKIP, MAX_KEY_LIMIT,
};
pub use links::PagingResponse;
pub use messages::{GenericResponse, ManagementNotFound, ManagementReason};
pub use rotation::{RotationDomain, RotationDomainResponse, RotationForm};

use serde::Serialize;
use signet_domain::delegated_keys::DelegatedRecord;
use signet_domain::{DkimKey, DnsStatus};
use utoipa::ToSchema;

/// A DNS record to publish, with what DNS showed when last checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Record {
    /// Whether the key behind it may sign mail (false when no key holds a
    /// delegated selector yet).
    pub is_active: bool,
    /// The TXT values seen at the name when last checked. Empty for a
    /// `CNAME`: Signet looks up the TXT record the CNAME leads to (see
    /// `valid`), not the CNAME itself.
    pub cached: Vec<String>,
    /// `{selector}._domainkey.{signing_domain}`.
    pub name: String,
    /// `TXT`, or `CNAME` for a domain with Automatic Sender Security.
    #[schema(pattern = "^(TXT|CNAME)$")]
    pub record_type: String,
    /// `valid`, `invalid` or `unknown` (never checked, or the lookup failed).
    /// For a `CNAME`: the status of the key holding its selector, whose TXT
    /// record the resolver reaches by following the CNAME into Signet's
    /// zone; `unknown` while no key holds it.
    pub valid: String,
    /// The value to publish: `k=rsa; p={public key}` or `k=ed25519; p={public
    /// key}`; for a `CNAME`, its target in Signet's zone,
    /// `{selector}._domainkey.{label}.{zone}`.
    pub value: String,
    /// Signet extension: `value` as DNS character-strings of at most 255
    /// bytes each, in order, for zone files and DNS APIs that want them
    /// split; joined, they equal `value`. Only for `TXT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<String>, required = false)]
    pub strings: Option<Vec<String>>,
}

impl From<&DkimKey> for Record {
    fn from(key: &DkimKey) -> Self {
        let record = key.dns_record();
        let strings = record.strings().into_iter().map(str::to_owned).collect();
        Self {
            is_active: key.active,
            cached: key.dns.seen.clone(),
            name: record.name,
            record_type: record.record_type.to_owned(),
            valid: key.dns.status.as_str().to_owned(),
            strings: Some(strings),
            value: record.value,
        }
    }
}

impl From<&DelegatedRecord> for Record {
    fn from(cname: &DelegatedRecord) -> Self {
        let key = cname.key.as_ref();
        Self {
            is_active: key.is_some_and(|k| k.active),
            cached: Vec::new(),
            name: cname.name.clone(),
            record_type: "CNAME".to_owned(),
            valid: key
                .map_or(DnsStatus::Unknown, |k| k.dns.status)
                .as_str()
                .to_owned(),
            value: cname.target.clone(),
            strings: None,
        }
    }
}

/// A DKIM key. The private key is never part of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "signing_domain": "example.com",
    "selector": "s1",
    "dns_record": {
        "is_active": false,
        "cached": [],
        "name": "s1._domainkey.example.com",
        "record_type": "TXT",
        "valid": "unknown",
        "value": "k=rsa; p=MIIBIjANBgkqh...",
        "strings": ["k=rsa; p=MIIBIjANBgkqh..."]
    },
    "algorithm": "rsa",
    "stage": "active",
    "safe_to_remove": false
}))]
pub struct DomainKeyResponse {
    /// The domain whose DNS publishes the key (its authority).
    pub signing_domain: String,
    /// The selector.
    pub selector: String,
    /// Signet extension: `rsa` or `ed25519`.
    #[schema(value_type = schemas::KeyAlgorithmText, inline)]
    pub algorithm: String,
    /// The record to publish.
    pub dns_record: Record,
    /// Signet extension: where the key stands in its authority's rotation:
    /// `pending`, `active`, `retiring` or `retired`.
    #[schema(pattern = "^(pending|active|retiring|retired)$")]
    pub stage: String,
    /// Signet extension: whether its DNS record may be removed (it is retired).
    pub safe_to_remove: bool,
}

impl From<&DkimKey> for DomainKeyResponse {
    fn from(key: &DkimKey) -> Self {
        Self {
            signing_domain: key.signing_domain.to_string(),
            selector: key.selector.to_string(),
            algorithm: key.algorithm.to_string(),
            dns_record: Record::from(key),
            stage: key.stage.as_str().to_owned(),
            safe_to_remove: key.safe_to_remove(),
        }
    }
}

/// One page of keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainKeyListResponse {
    /// The keys, in creation order.
    pub items: Vec<DomainKeyResponse>,
    /// Links to the neighbouring pages.
    pub paging: PagingResponse,
    /// How many keys match the filters, over all pages (read by Mailgun's Go SDK).
    pub total_count: u64,
}

/// Every key of one authority.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorityKeysResponse {
    /// The keys, in creation order.
    pub items: Vec<DomainKeyResponse>,
}

/// The outcome of an activation or deactivation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "message": "domain key activated",
    "authority": "example.com",
    "selector": "s1",
    "active": true
}))]
pub struct UpdateDomainKeyResp {
    /// `domain key activated` or `domain key deactivated`.
    pub message: String,
    /// The key's signing domain.
    pub authority: String,
    /// The key's selector.
    pub selector: String,
    /// Whether the key is now active.
    pub active: bool,
}
