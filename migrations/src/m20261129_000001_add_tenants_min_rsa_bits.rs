//! Each tenant's smallest accepted RSA key. Existing tenants get 1024, the
//! floor RFC 8301 sets for verifiers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::integer;

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Column {
    MinRsaBits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(integer(Column::MinRsaBits).default(1024))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Column::MinRsaBits)
                    .to_owned(),
            )
            .await
    }
}
