//! Sending domains and their DKIM authority.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string, timestamp_with_time_zone};

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SendingDomains {
    Table,
    TenantId,
    /// Lower-case.
    Name,
    /// Itself, or a parent domain of the same tenant.
    Authority,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SendingDomains::Table)
                    .col(big_integer(SendingDomains::TenantId))
                    .col(string(SendingDomains::Name))
                    .col(string(SendingDomains::Authority))
                    .col(timestamp_with_time_zone(SendingDomains::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_sending_domains")
                            .col(SendingDomains::TenantId)
                            .col(SendingDomains::Name),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sending_domains_tenant")
                            .from(SendingDomains::Table, SendingDomains::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sending_domains_authority")
                    .table(SendingDomains::Table)
                    .col(SendingDomains::TenantId)
                    .col(SendingDomains::Authority)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SendingDomains::Table).to_owned())
            .await
    }
}
