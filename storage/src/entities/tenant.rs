//! The `tenants` table.

use sea_orm::entity::prelude::*;

/// A tenant row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub private_key_export: bool,
    /// The smallest RSA key the tenant may generate or import: 512, 1024 or 2048.
    pub min_rsa_bits: i32,
    /// The id the tenant's next DKIM key gets.
    pub next_key_id: i64,
    /// How many DKIM keys the tenant has: every key insert and delete keeps
    /// it, under the tenant's row lock, so pages read their total here.
    pub key_count: i64,
    /// Bumped by triggers on every change to the tenant's DKIM keys, so
    /// each node's read model sees a change it was not told of.
    pub key_version: i64,
    pub created_at: DateTimeUtc,
}

/// Relations of a tenant.
/// None declared here: the join from tenants to their API keys is written
/// from `api_key`'s side, so the two entities do not name each other.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
