//! The `sending_domains` table.

use sea_orm::entity::prelude::*;

/// A sending domain row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sending_domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    /// Lower-case.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Whose keys sign its mail: itself or a parent domain.
    pub authority: String,
    pub created_at: DateTimeUtc,
    /// The label in Signet's zone when delegated (Automatic Sender
    /// Security); unique across tenants.
    pub zone_label: Option<String>,
}

/// No relation is navigated from a domain.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
