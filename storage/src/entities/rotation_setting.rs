//! The `rotation_settings` table.

use sea_orm::entity::prelude::*;

/// An authority's rotation settings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rotation_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    /// Lower-case signing domain.
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority: String,
    pub enabled: bool,
    /// NULL until set.
    pub interval_seconds: Option<i64>,
    pub retire_after_seconds: i64,
    /// 0 keeps retired keys.
    pub delete_after_seconds: i64,
    /// `rsa`, `rsa,ed25519`.
    pub algorithms: String,
    pub selector_template: String,
    pub updated_at: DateTimeUtc,
    /// `interval_seconds` as the client wrote it (`24h`); NULL before it was kept.
    pub interval_text: Option<String>,
    /// `retire_after_seconds` as the client wrote it.
    pub retire_after_text: Option<String>,
    /// `delete_after_seconds` as the client wrote it.
    pub delete_after_text: Option<String>,
}

/// No relation is navigated from the settings.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
