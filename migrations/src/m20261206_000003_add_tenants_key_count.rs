//! How many DKIM keys each tenant holds, kept by every key insert and delete,
//! so a page's total is one row read rather than a count of the tenant's
//! keys on every request (issue 22: 100,000 keys made each page count them
//! all). Existing tenants are counted once here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Column {
    KeyCount,
}

/// Valid on both databases: a correlated count per tenant.
const BACKFILL: &str = "UPDATE tenants SET key_count = \
     (SELECT COUNT(*) FROM dkim_keys WHERE dkim_keys.tenant_id = tenants.id)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(big_integer(Column::KeyCount).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(BACKFILL)
            .await
            .map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Column::KeyCount)
                    .to_owned(),
            )
            .await
    }
}
