//! The `audit_events` table: append-only (the database refuses UPDATE and DELETE).

use sea_orm::entity::prelude::*;

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub at: DateTimeUtc,
    /// `api_key`, `console`, `cli`, `system` or `fleet`.
    pub actor_kind: String,
    /// The API key's id, the console subject or the fleet's name.
    pub actor_id: Option<String>,
    pub via: String,
    pub action: String,
    pub target_domain: Option<String>,
    pub target_selector: Option<String>,
    pub target_key_id: Option<i64>,
    pub target_api_key_id: Option<i64>,
    pub target_fleet: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub fingerprint: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
}

/// No relation is navigated from an event.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
