//! Keys remember when they entered the rotation stages that have timers:
//! `activated_at` (the age that starts the next rotation), `retiring_at`
//! (`retire_after` counts from it) and `retired_at` (`delete_after`). An
//! index by stage lets the background find the few keys not `active`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum DkimKeys {
    Table,
    Stage,
    TenantId,
    SigningDomain,
    ActivatedAt,
    RetiringAt,
    RetiredAt,
}

const COLUMNS: [DkimKeys; 3] = [
    DkimKeys::ActivatedAt,
    DkimKeys::RetiringAt,
    DkimKeys::RetiredAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds only one.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(DkimKeys::Table)
                        .add_column(timestamp_with_time_zone_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_dkim_keys_stage")
                    .table(DkimKeys::Table)
                    .col(DkimKeys::Stage)
                    .col(DkimKeys::TenantId)
                    .col(DkimKeys::SigningDomain)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_dkim_keys_stage")
                    .table(DkimKeys::Table)
                    .to_owned(),
            )
            .await?;
        for column in COLUMNS.into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(DkimKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
