//! Keys get an algorithm (`rsa` or `ed25519`) and a rotation stage
//! (`pending`, `active`, `retiring`, `retired`). Every key stored before is
//! an RSA key that signs: `rsa` and `active`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DkimKeys {
    Table,
    Algorithm,
    Stage,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds only one.
        for (column, default) in [(DkimKeys::Algorithm, "rsa"), (DkimKeys::Stage, "active")] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DkimKeys::Table)
                        .add_column(string(column).default(default))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [DkimKeys::Stage, DkimKeys::Algorithm] {
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
