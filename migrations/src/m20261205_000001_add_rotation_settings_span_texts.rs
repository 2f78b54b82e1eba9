//! Rotation spans as the client wrote them (`24h`, not `1d`), so that what it
//! reads back is what it set; NULL for rows from before, shown in the largest
//! unit that divides the seconds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RotationSettings {
    Table,
    IntervalText,
    RetireAfterText,
    DeleteAfterText,
}

/// The new columns.
fn columns() -> [RotationSettings; 3] {
    [
        RotationSettings::IntervalText,
        RotationSettings::RetireAfterText,
        RotationSettings::DeleteAfterText,
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters a table one column at a time.
        for column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(RotationSettings::Table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(RotationSettings::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
