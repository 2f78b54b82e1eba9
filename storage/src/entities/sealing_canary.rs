//! The `sealing_canary` table.

use sea_orm::entity::prelude::*;

/// The one canary row: a value sealed under the master key, opened at start.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sealing_canary")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub sealed: Vec<u8>,
    /// Id of the master key that sealed it.
    pub kid: String,
    pub sealed_at: DateTimeUtc,
}

/// The canary stands alone.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
