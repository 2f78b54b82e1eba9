//! Tenants, with the counter their key ids are drawn from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, pk_auto, string_uniq, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The `tenants` table.
#[derive(DeriveIden)]
pub enum Tenants {
    Table,
    Id,
    Name,
    PrivateKeyExport,
    /// The id the tenant's next DKIM key gets; ids are never reused.
    NextKeyId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(pk_auto(Tenants::Id).big_integer())
                    .col(string_uniq(Tenants::Name))
                    .col(boolean(Tenants::PrivateKeyExport).default(false))
                    .col(
                        ColumnDef::new(Tenants::NextKeyId)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tenants::Table).to_owned())
            .await
    }
}
