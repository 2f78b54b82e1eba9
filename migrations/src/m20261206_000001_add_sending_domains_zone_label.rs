//! A sending domain's label in Signet's DNS zone, set when its DKIM records
//! are delegated to Signet (Automatic Sender Security): NULL for domains
//! whose tenant publishes TXT records, unique across tenants otherwise.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SendingDomains {
    Table,
    ZoneLabel,
}

const INDEX: &str = "sending_domains_zone_label";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SendingDomains::Table)
                    .add_column(string_null(SendingDomains::ZoneLabel))
                    .to_owned(),
            )
            .await?;
        // Both databases let any number of NULLs through a unique index.
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(SendingDomains::Table)
                    .col(SendingDomains::ZoneLabel)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(SendingDomains::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SendingDomains::Table)
                    .drop_column(SendingDomains::ZoneLabel)
                    .to_owned(),
            )
            .await
    }
}
