//! The `rotation_selectors` table.

use sea_orm::entity::prelude::*;

/// A selector a rotation gave one of the authority's keys.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rotation_selectors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority: String,
    /// Lower-case.
    #[sea_orm(primary_key, auto_increment = false)]
    pub selector_folded: String,
}

/// No relation is navigated from a selector.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
