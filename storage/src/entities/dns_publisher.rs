//! The `dns_publishers` table.

use sea_orm::entity::prelude::*;

/// An authority's DNS publisher.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dns_publishers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    /// Lower-case signing domain.
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority: String,
    /// `ip:port`.
    pub server: String,
    pub zone: String,
    pub tsig_name: String,
    pub tsig_algorithm: String,
    /// nonce || ciphertext || tag of the TSIG secret.
    pub tsig_secret_sealed: Vec<u8>,
    /// Id of the master key that sealed it.
    pub tsig_secret_kid: String,
    /// `pending`, `ok` or `failing`.
    pub status: String,
    pub last_error: Option<String>,
    pub last_published_at: Option<DateTimeUtc>,
    pub failures: i32,
    pub retry_at: Option<DateTimeUtc>,
    /// JSON array of `{"name", "strings"}`.
    pub written: String,
    pub configured_at: DateTimeUtc,
}

/// No relation is navigated from a publisher.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
