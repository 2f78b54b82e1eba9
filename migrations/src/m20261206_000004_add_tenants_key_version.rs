//! A per-tenant counter of changes to its DKIM keys, bumped by triggers on
//! every INSERT, UPDATE and DELETE of `dkim_keys`, whichever code path makes
//! it (a dialect, a rotation, a DNS re-check, an operator's SQL). Each node's
//! read model of the keys compares it to the version its snapshot was read
//! at, so a change made on another node, announced or not, is seen within
//! a second (issue 22).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Column {
    KeyVersion,
}

/// The triggers, one statement each, per backend.
fn triggers(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Sqlite => &[
            "CREATE TRIGGER dkim_keys_version_insert AFTER INSERT ON dkim_keys \
             BEGIN UPDATE tenants SET key_version = key_version + 1 \
             WHERE id = NEW.tenant_id; END",
            "CREATE TRIGGER dkim_keys_version_update AFTER UPDATE ON dkim_keys \
             BEGIN UPDATE tenants SET key_version = key_version + 1 \
             WHERE id IN (OLD.tenant_id, NEW.tenant_id); END",
            "CREATE TRIGGER dkim_keys_version_delete AFTER DELETE ON dkim_keys \
             BEGIN UPDATE tenants SET key_version = key_version + 1 \
             WHERE id = OLD.tenant_id; END",
        ],
        DbBackend::Postgres => &[
            "CREATE FUNCTION dkim_keys_bump_version() RETURNS trigger \
             LANGUAGE plpgsql AS $$ BEGIN \
             IF TG_OP <> 'INSERT' THEN \
             UPDATE tenants SET key_version = key_version + 1 WHERE id = OLD.tenant_id; \
             END IF; \
             IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.tenant_id <> OLD.tenant_id) THEN \
             UPDATE tenants SET key_version = key_version + 1 WHERE id = NEW.tenant_id; \
             END IF; \
             RETURN NULL; END $$",
            "CREATE TRIGGER dkim_keys_version AFTER INSERT OR UPDATE OR DELETE ON dkim_keys \
             FOR EACH ROW EXECUTE FUNCTION dkim_keys_bump_version()",
        ],
        DbBackend::MySql => &[],
    }
}

fn drop_triggers(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Sqlite => &[
            "DROP TRIGGER IF EXISTS dkim_keys_version_insert",
            "DROP TRIGGER IF EXISTS dkim_keys_version_update",
            "DROP TRIGGER IF EXISTS dkim_keys_version_delete",
        ],
        DbBackend::Postgres => &[
            "DROP TRIGGER IF EXISTS dkim_keys_version ON dkim_keys",
            "DROP FUNCTION IF EXISTS dkim_keys_bump_version()",
        ],
        DbBackend::MySql => &[],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(big_integer(Column::KeyVersion).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in triggers(manager.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in drop_triggers(manager.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Column::KeyVersion)
                    .to_owned(),
            )
            .await
    }
}
