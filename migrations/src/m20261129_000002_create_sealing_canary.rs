//! One value sealed under the master key when the database is first sealed,
//! so a start with the wrong master key is refused before any key is read;
//! and an index that lists the master keys DKIM keys are sealed under cheaply.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{binary, integer, string, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SealingCanary {
    Table,
    /// Always 1: there is one canary.
    Id,
    /// nonce || AES-256-GCM ciphertext || tag.
    Sealed,
    /// Id of the master key that sealed it.
    Kid,
    SealedAt,
}

#[derive(DeriveIden)]
enum DkimKeys {
    Table,
    PrivateKeyKid,
}

const KID_INDEX: &str = "ix_dkim_keys_private_key_kid";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SealingCanary::Table)
                    .col(integer(SealingCanary::Id).primary_key())
                    .col(binary(SealingCanary::Sealed))
                    .col(string(SealingCanary::Kid))
                    .col(timestamp_with_time_zone(SealingCanary::SealedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(KID_INDEX)
                    .table(DkimKeys::Table)
                    .col(DkimKeys::PrivateKeyKid)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(KID_INDEX)
                    .table(DkimKeys::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SealingCanary::Table).to_owned())
            .await
    }
}
