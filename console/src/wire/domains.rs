//! The wire types of `domains.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::{DnsStatus, DomainView};
use utoipa::{IntoParams, ToSchema};

use crate::wire::keys::DnsState;

/// A sending domain.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainItem {
    /// The domain.
    pub name: String,
    /// Whose keys sign its mail: itself or a parent domain.
    pub authority: String,
    /// The selector of the key it signs with; `null` if its authority has no default key.
    pub selector: Option<String>,
    /// That key's id.
    pub key_id: Option<i64>,
    /// That key's DNS record and state.
    pub dns: Option<DnsState>,
    /// How its DKIM records reach DNS: `txt`, the tenant publishes each
    /// key's TXT record; `delegated` (Mailgun's Automatic Sender Security),
    /// the tenant publishes CNAMEs into the zone Signet answers for once,
    /// and rotations need no DNS change.
    #[schema(pattern = "^(txt|delegated)$")]
    pub dns_mode: String,
    /// The records to publish: the signing key's TXT record (`txt`), or one
    /// CNAME per selector of its authority's pairs (`delegated`).
    pub records: Vec<RecordToPublish>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// A DNS record the tenant publishes for a domain.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordToPublish {
    /// `{selector}._domainkey.{authority}`.
    pub name: String,
    /// `TXT` or `CNAME`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(TXT|CNAME)$")]
    pub record_type: String,
    /// The TXT value, or the CNAME's target in Signet's zone.
    pub value: String,
    /// `valid`, `invalid` or `unknown`: what the resolver showed of the key
    /// behind it (for a CNAME, through it); `unknown` for a CNAME no key
    /// holds yet.
    pub status: String,
}

impl DomainItem {
    /// A domain as the console shows it.
    pub fn of(view: &DomainView) -> Self {
        let records = match &view.delegation {
            Some(delegation) => delegation
                .records
                .iter()
                .map(|cname| RecordToPublish {
                    name: cname.name.clone(),
                    record_type: "CNAME".into(),
                    value: cname.target.clone(),
                    status: cname
                        .key
                        .as_ref()
                        .map_or(DnsStatus::Unknown, |k| k.dns.status)
                        .as_str()
                        .into(),
                })
                .collect(),
            None => view
                .signing_key
                .iter()
                .map(|key| {
                    let record = key.dns_record();
                    RecordToPublish {
                        name: record.name,
                        record_type: record.record_type.into(),
                        value: record.value,
                        status: key.dns.status.as_str().into(),
                    }
                })
                .collect(),
        };
        Self {
            name: view.domain.name.to_string(),
            authority: view.domain.authority.to_string(),
            selector: view.signing_key.as_ref().map(|k| k.selector.to_string()),
            key_id: view.signing_key.as_ref().map(|k| k.id.0),
            dns: view.signing_key.as_ref().map(DnsState::of),
            dns_mode: if view.delegation.is_some() {
                "delegated"
            } else {
                "txt"
            }
            .into(),
            records,
            created_at: view.domain.created_at,
        }
    }
}

/// One page of domains.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainList {
    /// Domains by name.
    pub items: Vec<DomainItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Which page of domains.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDomains {
    /// `next_cursor` of the previous page. A cursor this server did not hand
    /// out is refused with 400.
    #[param(pattern = r"^[A-Za-z0-9_-]*={0,2}$", max_length = 512)]
    pub cursor: Option<String>,
    /// Domains per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// What a domain page cursor carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct Skip {
    pub skip: u64,
}
