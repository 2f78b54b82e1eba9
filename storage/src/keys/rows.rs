//! Between `dkim_keys` rows and the core's keys: parsing, sealing, opening.

use chrono::{DateTime, Utc};
use signet_domain::{
    DkimKey, DnsCheck, DnsStatus, DomainName, KeyAlgorithm, KeyId, KeySpec, PrivateKey, PublicKey,
    Result, Selector, TenantId, Via,
};

use sea_orm::{DerivePartialModel, FromQueryResult};

use crate::entities::dkim_key;
use crate::errors::{corrupt, internal};
use crate::sealing::{Keyring, Sealed};

/// The columns of a `dkim_keys` row that a read returns: never the sealed
/// private key.
#[derive(Debug, DerivePartialModel, FromQueryResult)]
#[sea_orm(entity = "dkim_key::Entity")]
pub(crate) struct KeyRow {
    pub id: i64,
    pub signing_domain: String,
    pub selector: String,
    pub bits: i32,
    pub public_key: String,
    pub active: bool,
    pub default_for_domain: bool,
    pub dns_status: String,
    pub dns_seen: String,
    pub dns_checked_at: Option<DateTime<Utc>>,
    pub created_via: Option<String>,
    pub algorithm: String,
    pub stage: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retiring_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<dkim_key::Model> for KeyRow {
    fn from(row: dkim_key::Model) -> Self {
        Self {
            id: row.id,
            signing_domain: row.signing_domain,
            selector: row.selector,
            bits: row.bits,
            public_key: row.public_key,
            active: row.active,
            default_for_domain: row.default_for_domain,
            dns_status: row.dns_status,
            dns_seen: row.dns_seen,
            dns_checked_at: row.dns_checked_at,
            created_via: row.created_via,
            algorithm: row.algorithm,
            stage: row.stage,
            created_at: row.created_at,
            updated_at: row.updated_at,
            activated_at: row.activated_at,
            retiring_at: row.retiring_at,
            retired_at: row.retired_at,
        }
    }
}

/// A stored key as the core sees it.
pub(crate) fn to_key(row: impl Into<KeyRow>) -> Result<DkimKey> {
    let row = row.into();
    let what = || format!("DKIM key {}", row.id);
    let algorithm: KeyAlgorithm = row.algorithm.parse().map_err(|e| corrupt(&what(), e))?;
    let bits = u32::try_from(row.bits).unwrap_or(0);
    let bits = KeySpec::new(algorithm, bits)
        .map_err(|e| corrupt(&what(), e))?
        .bits();
    Ok(DkimKey {
        id: KeyId(row.id),
        signing_domain: DomainName::parse(&row.signing_domain).map_err(|e| corrupt(&what(), e))?,
        selector: Selector::parse(&row.selector).map_err(|e| corrupt(&what(), e))?,
        bits,
        public_key: PublicKey(row.public_key),
        active: row.active,
        default_for_domain: row.default_for_domain,
        dns: DnsCheck {
            status: DnsStatus::parse(&row.dns_status),
            seen: serde_json::from_str(&row.dns_seen).map_err(|e| corrupt(&what(), e))?,
            checked_at: row.dns_checked_at,
        },
        created_via: row
            .created_via
            .as_deref()
            .map(Via::parse)
            .transpose()
            .map_err(|e| corrupt(&what(), e))?,
        algorithm,
        stage: row.stage.parse().map_err(|e| corrupt(&what(), e))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
        activated_at: row.activated_at,
        retiring_at: row.retiring_at,
        retired_at: row.retired_at,
    })
}

/// The TXT values seen, as stored.
pub(crate) fn seen_json(check: &DnsCheck) -> String {
    serde_json::to_string(&check.seen).expect("a list of strings always serializes")
}

/// Binds a sealed private key to its row: opened under any other tenant or
/// key id, it fails authentication, so rows cannot be swapped.
pub(crate) fn aad(tenant: TenantId, id: KeyId) -> Vec<u8> {
    let mut aad = b"signet/dkim_keys/v1".to_vec();
    aad.extend_from_slice(&tenant.0.to_be_bytes());
    aad.extend_from_slice(&id.0.to_be_bytes());
    aad
}

/// Seals a private key's PKCS#8 DER for the row (tenant, id).
pub(crate) fn seal(
    keyring: &Keyring,
    tenant: TenantId,
    id: KeyId,
    key: &PrivateKey,
) -> Result<Sealed> {
    keyring
        .seal(&key.to_pkcs8_der(), &aad(tenant, id))
        .map_err(|e| internal(format!("cannot seal DKIM key {id}"), e))
}

/// Opens a row's private key.
pub(crate) fn open(keyring: &Keyring, row: &dkim_key::Model) -> Result<PrivateKey> {
    let what = format!("private key of DKIM key {}", row.id);
    let der = keyring
        .open(
            &row.private_key_kid,
            &row.private_key_sealed,
            &aad(TenantId(row.tenant_id), KeyId(row.id)),
        )
        .map_err(|e| corrupt(&what, e))?;
    PrivateKey::from_pkcs8_der(&der).map_err(|e| corrupt(&what, e))
}
