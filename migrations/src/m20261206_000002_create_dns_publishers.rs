//! DNS publishers: per authority, the tenant's name server that takes RFC
//! 2136 updates, the TSIG key (its secret sealed like a private key), how
//! the last attempt went, and the records Signet wrote there (the only ones
//! it ever deletes).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, binary, integer, string, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DnsPublishers {
    Table,
    TenantId,
    /// Lower-case signing domain.
    Authority,
    /// `ip:port`.
    Server,
    Zone,
    TsigName,
    /// `hmac-sha256`, ...
    TsigAlgorithm,
    /// nonce || ciphertext || tag of the secret.
    TsigSecretSealed,
    /// Id of the master key that sealed it.
    TsigSecretKid,
    /// `pending`, `ok` or `failing`.
    Status,
    LastError,
    LastPublishedAt,
    /// Failed attempts in a row.
    Failures,
    RetryAt,
    /// A JSON array of `{"name", "strings"}`: the records Signet wrote.
    Written,
    ConfiguredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DnsPublishers::Table)
                    .col(big_integer(DnsPublishers::TenantId))
                    .col(string(DnsPublishers::Authority))
                    .col(string(DnsPublishers::Server))
                    .col(string(DnsPublishers::Zone))
                    .col(string(DnsPublishers::TsigName))
                    .col(string(DnsPublishers::TsigAlgorithm))
                    .col(binary(DnsPublishers::TsigSecretSealed))
                    .col(string(DnsPublishers::TsigSecretKid))
                    .col(string(DnsPublishers::Status))
                    .col(text_null(DnsPublishers::LastError))
                    .col(timestamp_with_time_zone_null(
                        DnsPublishers::LastPublishedAt,
                    ))
                    .col(integer(DnsPublishers::Failures))
                    .col(timestamp_with_time_zone_null(DnsPublishers::RetryAt))
                    .col(text(DnsPublishers::Written))
                    .col(timestamp_with_time_zone(DnsPublishers::ConfiguredAt))
                    .primary_key(
                        Index::create()
                            .col(DnsPublishers::TenantId)
                            .col(DnsPublishers::Authority),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dns_publishers_tenant")
                            .from(DnsPublishers::Table, DnsPublishers::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DnsPublishers::Table).to_owned())
            .await
    }
}
