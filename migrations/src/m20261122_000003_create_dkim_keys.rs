//! DKIM keys, numbered per tenant, with their private halves sealed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, binary, boolean, integer, string, text, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DkimKeys {
    Table,
    TenantId,
    Id,
    /// Lower-case.
    SigningDomain,
    /// As given.
    Selector,
    /// Lower-case, for uniqueness and lookups.
    SelectorFolded,
    Bits,
    PublicKey,
    /// nonce || AES-256-GCM ciphertext || tag of the PKCS#8 DER.
    PrivateKeySealed,
    /// Id of the master key that sealed it.
    PrivateKeyKid,
    Active,
    DefaultForDomain,
    DnsStatus,
    /// JSON array of the TXT values last seen.
    DnsSeen,
    DnsCheckedAt,
    CreatedAt,
    UpdatedAt,
}

/// At most one default key per signing domain. sea-query cannot express a
/// partial index; this form is valid on both SQLite and PostgreSQL.
const ONE_DEFAULT_PER_DOMAIN: &str = "CREATE UNIQUE INDEX uq_dkim_keys_default \
     ON dkim_keys (tenant_id, signing_domain) WHERE default_for_domain";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DkimKeys::Table)
                    .col(big_integer(DkimKeys::TenantId))
                    .col(big_integer(DkimKeys::Id))
                    .col(string(DkimKeys::SigningDomain))
                    .col(string(DkimKeys::Selector))
                    .col(string(DkimKeys::SelectorFolded))
                    .col(integer(DkimKeys::Bits))
                    .col(text(DkimKeys::PublicKey))
                    .col(binary(DkimKeys::PrivateKeySealed))
                    .col(string(DkimKeys::PrivateKeyKid))
                    .col(boolean(DkimKeys::Active))
                    .col(boolean(DkimKeys::DefaultForDomain))
                    .col(string(DkimKeys::DnsStatus).default("unknown"))
                    .col(text(DkimKeys::DnsSeen).default("[]"))
                    .col(timestamp_with_time_zone_null(DkimKeys::DnsCheckedAt))
                    .col(timestamp_with_time_zone(DkimKeys::CreatedAt))
                    .col(timestamp_with_time_zone(DkimKeys::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_dkim_keys")
                            .col(DkimKeys::TenantId)
                            .col(DkimKeys::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dkim_keys_tenant")
                            .from(DkimKeys::Table, DkimKeys::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_dkim_keys_name")
                    .table(DkimKeys::Table)
                    .col(DkimKeys::TenantId)
                    .col(DkimKeys::SigningDomain)
                    .col(DkimKeys::SelectorFolded)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(ONE_DEFAULT_PER_DOMAIN)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DkimKeys::Table).to_owned())
            .await
    }
}
