//! Fleets: a tenant's signers and the tokens (hashed) they read their keys
//! with. Revoking a fleet deletes its row rather than marking it revoked:
//! the token has no further use, the name becomes free for a new fleet, and
//! the fleet's history stays in the audit trail (`fleet.created`,
//! `fleet.read`, `fleet.revoked`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, pk_auto, string, string_null, string_uniq, text, timestamp_with_time_zone,
};

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Fleets {
    Table,
    Id,
    TenantId,
    Name,
    /// A JSON array of domain names.
    Domains,
    /// Hex SHA-256 of the token.
    TokenHash,
    CreatedAt,
    /// The ETag of the feed last recorded as read (`fleet.read`).
    LastReadEtag,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Fleets::Table)
                    .col(pk_auto(Fleets::Id).big_integer())
                    .col(big_integer(Fleets::TenantId))
                    .col(string(Fleets::Name))
                    .col(text(Fleets::Domains))
                    .col(string_uniq(Fleets::TokenHash))
                    .col(timestamp_with_time_zone(Fleets::CreatedAt))
                    .col(string_null(Fleets::LastReadEtag))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fleets_tenant")
                            .from(Fleets::Table, Fleets::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_fleets_tenant_name")
                    .table(Fleets::Table)
                    .col(Fleets::TenantId)
                    .col(Fleets::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Fleets::Table).to_owned())
            .await
    }
}
