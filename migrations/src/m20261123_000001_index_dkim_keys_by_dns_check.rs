//! An index for the background DNS re-check, which looks for the keys whose
//! record was checked longest ago (or never) across all tenants.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DkimKeys {
    Table,
    DnsCheckedAt,
}

const INDEX: &str = "ix_dkim_keys_dns_checked_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(DkimKeys::Table)
                    .col(DkimKeys::DnsCheckedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(DkimKeys::Table).to_owned())
            .await
    }
}
