//! Per-authority rotation settings, and every selector a rotation gave an
//! authority, so a selector is never issued twice (a deleted key's record
//! may live on in caches).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, string, timestamp_with_time_zone,
};

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RotationSettings {
    Table,
    TenantId,
    /// Lower-case signing domain.
    Authority,
    Enabled,
    /// NULL until set.
    IntervalSeconds,
    RetireAfterSeconds,
    /// 0 keeps retired keys.
    DeleteAfterSeconds,
    /// `rsa`, `rsa,ed25519`.
    Algorithms,
    SelectorTemplate,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RotationSelectors {
    Table,
    TenantId,
    Authority,
    /// Lower-case.
    SelectorFolded,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RotationSettings::Table)
                    .col(big_integer(RotationSettings::TenantId))
                    .col(string(RotationSettings::Authority))
                    .col(boolean(RotationSettings::Enabled))
                    .col(big_integer_null(RotationSettings::IntervalSeconds))
                    .col(big_integer(RotationSettings::RetireAfterSeconds))
                    .col(big_integer(RotationSettings::DeleteAfterSeconds))
                    .col(string(RotationSettings::Algorithms))
                    .col(string(RotationSettings::SelectorTemplate))
                    .col(timestamp_with_time_zone(RotationSettings::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_rotation_settings")
                            .col(RotationSettings::TenantId)
                            .col(RotationSettings::Authority),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rotation_settings_tenant")
                            .from(RotationSettings::Table, RotationSettings::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RotationSelectors::Table)
                    .col(big_integer(RotationSelectors::TenantId))
                    .col(string(RotationSelectors::Authority))
                    .col(string(RotationSelectors::SelectorFolded))
                    .primary_key(
                        Index::create()
                            .name("pk_rotation_selectors")
                            .col(RotationSelectors::TenantId)
                            .col(RotationSelectors::Authority)
                            .col(RotationSelectors::SelectorFolded),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rotation_selectors_tenant")
                            .from(RotationSelectors::Table, RotationSelectors::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RotationSelectors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RotationSettings::Table).to_owned())
            .await
    }
}
