//! The `dkim_keys` table.

use sea_orm::entity::prelude::*;

/// A DKIM key row. The private key is only ever here sealed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dkim_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    /// Numbered per tenant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// Lower-case.
    pub signing_domain: String,
    /// As given.
    pub selector: String,
    /// Lower-case, for uniqueness and lookups.
    pub selector_folded: String,
    pub bits: i32,
    #[sea_orm(column_type = "Text")]
    pub public_key: String,
    /// nonce || AES-256-GCM ciphertext || tag of the PKCS#8 DER.
    pub private_key_sealed: Vec<u8>,
    /// Id of the master key that sealed it.
    pub private_key_kid: String,
    pub active: bool,
    pub default_for_domain: bool,
    pub dns_status: String,
    /// JSON array of the TXT values last seen.
    #[sea_orm(column_type = "Text")]
    pub dns_seen: String,
    pub dns_checked_at: Option<DateTimeUtc>,
    /// The front end that made it; NULL for keys older than the column.
    pub created_via: Option<String>,
    /// `rsa` or `ed25519`.
    pub algorithm: String,
    /// `pending`, `active`, `retiring` or `retired`.
    pub stage: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When it last became the active key.
    pub activated_at: Option<DateTimeUtc>,
    /// When a newer key replaced it.
    pub retiring_at: Option<DateTimeUtc>,
    /// When its record stopped being needed.
    pub retired_at: Option<DateTimeUtc>,
}

/// No relation is navigated from a key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
