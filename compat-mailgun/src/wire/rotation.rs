//! The bodies of Mailgun's DKIM-management endpoints (its `pendulum`
//! service): a domain's rotation settings and records, and the error
//! shapes that service uses.

use serde::Serialize;
use signet_domain::delegated_keys::DelegatedRecord;
use signet_domain::{
    AlgorithmSet, DkimKey, DnsStatus, DomainName, KeyStage, RotationUpdate, RotationView,
    SelectorTemplate, Span, Tenant,
};
use utoipa::ToSchema;

use super::domains::opaque_id;
use super::schemas;
use crate::error::MailgunError;
use crate::extract::Params;

/// A domain's rotation, as Mailgun shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RotationDomainResponse {
    /// The domain.
    pub domain: RotationDomain,
}

/// A domain's rotation settings and the DKIM records it must publish.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c0e3a9b2d4c5e8f7a1b2c",
    "account_id": "0a1b2c3d4e5f60718293a4b5",
    "sid": "0a1b2c3d4e5f60718293a4b5",
    "name": "example.com",
    "state": "enabled",
    "active_selector": "s20261129",
    "rotation_enabled": "true",
    "rotation_interval": "5d",
    "retire_after": "7d",
    "delete_after": "30d",
    "algorithms": "rsa",
    "selector_template": "s%Y%m%d",
    "records": [{
        "name": "s20261129._domainkey.example.com",
        "type": "TXT",
        "identifier": "DKIM",
        "value": "k=rsa; p=MIIBIjANBgkqh...",
        "strings": ["k=rsa; p=MIIBIjANBgkqh..."],
        "comment": "Active DKIM key"
    }],
    "keys": [{
        "selector": "s20261129",
        "algorithm": "rsa",
        "stage": "active",
        "safe_to_remove": false,
        "created_at": "2026-11-29T08:00:00Z",
        "activated_at": "2026-11-29T09:00:00Z",
        "retired_at": null
    }]
}))]
pub struct RotationDomain {
    /// A stable opaque identifier: 24 hex digits.
    pub id: String,
    /// The account's stable opaque identifier.
    pub account_id: String,
    /// The account's identifier again (Mailgun's `sid`).
    pub sid: String,
    /// The domain named in the path, lower-case.
    pub name: String,
    /// `enabled` once its signing key's record is valid, else `wait_verify`.
    pub state: String,
    /// The selector of the key its mail is signed with; empty if none.
    pub active_selector: String,
    /// `true` or `false`, as text (as Mailgun sends it).
    pub rotation_enabled: String,
    /// The active key's age that starts a rotation (`5d`, `24h`); empty if never set.
    pub rotation_interval: String,
    /// Signet extension: how long a replaced key stays published before it is retired.
    pub retire_after: String,
    /// Signet extension: how long a retired key is kept before it is deleted; `0s` keeps it.
    pub delete_after: String,
    /// Signet extension: the algorithms each rotation makes a key of (`rsa`, `rsa,ed25519`).
    pub algorithms: String,
    /// Signet extension: how rotated keys' selectors are made (`s%Y%m%d`).
    pub selector_template: String,
    /// The records to publish: the pending, active and retiring keys' TXT
    /// records, or, for a domain with Automatic Sender Security, one CNAME
    /// per selector of its pairs (`pdk1`, `pdk2`), the same across
    /// rotations.
    pub records: Vec<RotationRecord>,
    /// Signet extension: every key of the domain's authority, by creation.
    pub keys: Vec<RotationKey>,
}

/// A DNS record to publish.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RotationRecord {
    /// `{selector}._domainkey.{authority}`.
    pub name: String,
    /// `TXT`, or `CNAME` for a domain with Automatic Sender Security.
    #[serde(rename = "type")]
    #[schema(pattern = "^(TXT|CNAME)$")]
    pub record_type: String,
    /// Always `DKIM`.
    pub identifier: String,
    /// The TXT value, or the CNAME's target in Signet's zone
    /// (`{selector}._domainkey.{label}.{zone}`).
    pub value: String,
    /// Signet extension: `value` as DNS character-strings of at most 255
    /// bytes each, in order, for zone files and DNS APIs that want them
    /// split; joined, they equal `value`. Only for `TXT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<String>, required = false)]
    pub strings: Option<Vec<String>>,
    /// Which key it is and what to do with it.
    pub comment: String,
}

/// A key in the rotation (Signet extension).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RotationKey {
    /// Its selector.
    pub selector: String,
    /// `rsa` or `ed25519`.
    #[schema(pattern = "^(rsa|ed25519)$")]
    pub algorithm: String,
    /// `pending`, `active`, `retiring` or `retired`.
    #[schema(pattern = "^(pending|active|retiring|retired)$")]
    pub stage: String,
    /// Whether its record may be removed from DNS.
    pub safe_to_remove: bool,
    /// When it was made, RFC 3339.
    pub created_at: String,
    /// When it last became the active key, RFC 3339.
    pub activated_at: Option<String>,
    /// When it was retired, RFC 3339.
    pub retired_at: Option<String>,
}

impl RotationDomain {
    /// The rotation of `name`'s authority, for its tenant.
    pub fn of(tenant: &Tenant, name: &DomainName, view: &RotationView) -> Self {
        let policy = &view.policy;
        let signing = view.signing_key();
        let verified = signing.is_some_and(|k| k.dns.status == DnsStatus::Valid);
        let account = opaque_id(tenant, "");
        Self {
            id: opaque_id(tenant, name.as_str()),
            sid: account.clone(),
            account_id: account,
            name: name.to_string(),
            state: if verified { "enabled" } else { "wait_verify" }.to_owned(),
            active_selector: signing.map(|k| k.selector.to_string()).unwrap_or_default(),
            rotation_enabled: policy.enabled.to_string(),
            rotation_interval: policy.interval.map(|i| i.to_string()).unwrap_or_default(),
            retire_after: policy.retire_after.to_string(),
            delete_after: policy.delete_after.to_string(),
            algorithms: policy.algorithms.to_string(),
            selector_template: policy.selector_template.as_str().to_owned(),
            records: match &view.delegation {
                Some(delegation) => delegation
                    .records
                    .iter()
                    .map(RotationRecord::cname)
                    .collect(),
                None => view
                    .keys
                    .iter()
                    .filter(|k| k.stage.needs_record())
                    .map(RotationRecord::of)
                    .collect(),
            },
            keys: view.keys.iter().map(RotationKey::of).collect(),
        }
    }
}

impl RotationRecord {
    fn of(key: &DkimKey) -> Self {
        let record = key.dns_record();
        let comment = match key.stage {
            KeyStage::Pending => {
                "Pending DKIM key: publish this record; it signs once DNS shows it"
            }
            KeyStage::Active => "Active DKIM key",
            KeyStage::Retiring => "Retiring DKIM key: keep this record until it is retired",
            KeyStage::Retired => "Retired DKIM key: this record may be removed",
        };
        let strings = record.strings().into_iter().map(str::to_owned).collect();
        Self {
            name: record.name,
            record_type: record.record_type.to_owned(),
            identifier: "DKIM".to_owned(),
            strings: Some(strings),
            value: record.value,
            comment: comment.to_owned(),
        }
    }

    fn cname(cname: &DelegatedRecord) -> Self {
        Self {
            name: cname.name.clone(),
            record_type: "CNAME".to_owned(),
            identifier: "DKIM".to_owned(),
            value: cname.target.clone(),
            strings: None,
            comment: "Customer DKIM CNAME Record".to_owned(),
        }
    }
}

impl RotationKey {
    fn of(key: &DkimKey) -> Self {
        let time =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Self {
            selector: key.selector.to_string(),
            algorithm: key.algorithm.as_str().to_owned(),
            stage: key.stage.as_str().to_owned(),
            safe_to_remove: key.safe_to_remove(),
            created_at: time(key.created_at),
            activated_at: key.activated_at.map(time),
            retired_at: key.retired_at.map(time),
        }
    }
}

/// The form of `PUT /v1/dkim_management/domains/{name}/rotation`.
#[derive(Debug, Clone, ToSchema)]
pub struct RotationForm {
    /// `true` enables automatic rotation, `false` disables it.
    #[schema(value_type = schemas::Flag, inline)]
    pub rotation_enabled: bool,
    /// The active key's age that starts a rotation: a whole number with a
    /// unit, `d`, `h`, `m` or `s` (`5d`, `24h`; `30d` if never set). Only
    /// with `rotation_enabled=true`, and at least Signet's configured
    /// minimum (`SIGNET_ROTATION_MIN_INTERVAL`, 1h by default).
    #[schema(value_type = schemas::OptionalSpanText, inline, required = false)]
    pub rotation_interval: Option<Span>,
    /// Signet extension: how long a replaced key stays published before it
    /// is retired (default `7d`).
    #[schema(value_type = schemas::OptionalSpanText, inline, required = false)]
    pub retire_after: Option<Span>,
    /// Signet extension: how long a retired key is kept before it is
    /// deleted; `0` keeps it (default `30d`).
    #[schema(value_type = schemas::OptionalSpanText, inline, required = false)]
    pub delete_after: Option<Span>,
    /// Signet extension: the algorithms each rotation makes a key of, `rsa`
    /// (2048 bits, the default), `ed25519`, or both comma-separated.
    #[schema(value_type = schemas::OptionalAlgorithmsText, inline, required = false)]
    pub algorithms: Option<AlgorithmSet>,
    /// Signet extension: the new keys' selectors: selector characters and
    /// the date fields `%Y %m %d %H %M %S` (default `s%Y%m%d`), made unique
    /// with a suffix (`s20261129b`) when taken; never reused.
    #[schema(value_type = String, required = false)]
    pub selector_template: Option<SelectorTemplate>,
}

impl TryFrom<&Params> for RotationForm {
    type Error = MailgunError;

    fn try_from(params: &Params) -> Result<Self, MailgunError> {
        let rotation_enabled = params
            .boolean("rotation_enabled")?
            .ok_or_else(|| MailgunError::missing("rotation_enabled"))?;
        let span = |field: &str| -> Result<Option<Span>, MailgunError> {
            params
                .text(field)?
                .map(|v| Span::parse(&v).map_err(|e| MailgunError::invalid(field, e)))
                .transpose()
        };
        let rotation_interval = span("rotation_interval")?;
        if rotation_interval.is_some() && !rotation_enabled {
            return Err(MailgunError::bad_request(
                "rotation_interval is not allowed unless also enabling DKIM rotation",
            ));
        }
        let algorithms = params
            .text("algorithms")?
            .map(|v| AlgorithmSet::parse(&v).map_err(|e| MailgunError::invalid("algorithms", e)))
            .transpose()?;
        let selector_template = params
            .text("selector_template")?
            .map(|v| {
                SelectorTemplate::parse(&v)
                    .map_err(|e| MailgunError::invalid("selector_template", e))
            })
            .transpose()?;
        Ok(Self {
            rotation_enabled,
            rotation_interval,
            retire_after: span("retire_after")?,
            delete_after: span("delete_after")?,
            algorithms,
            selector_template,
        })
    }
}

impl From<RotationForm> for RotationUpdate {
    fn from(form: RotationForm) -> Self {
        Self {
            enabled: form.rotation_enabled,
            interval: form.rotation_interval,
            retire_after: form.retire_after,
            delete_after: form.delete_after,
            algorithms: form.algorithms,
            selector_template: form.selector_template,
        }
    }
}
