//! The audit trail, append-only in the database itself: triggers refuse
//! every UPDATE and DELETE of its rows, whatever the client. And each key's
//! `created_via`, the front end that made it.
//!
//! Keys made before this migration keep `created_via` NULL: nothing recorded
//! which dialect made them, and guessing one would put a false statement in
//! the data the console shows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, pk_auto, string, string_null, text_null, timestamp_with_time_zone,
};
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261122_000001_create_tenants::Tenants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    TenantId,
    At,
    ActorKind,
    /// The API key's id or the console subject; NULL for the CLI and Signet.
    ActorId,
    Via,
    Action,
    TargetDomain,
    TargetSelector,
    TargetKeyId,
    TargetApiKeyId,
    RequestId,
    Ip,
    Outcome,
    /// Lower-case hex SHA-256 of the key's DER SubjectPublicKeyInfo.
    Fingerprint,
    Detail,
}

#[derive(DeriveIden)]
enum DkimKeys {
    Table,
    CreatedVia,
}

const BY_TENANT: &str = "ix_audit_events_tenant_id";
const BY_ACTION: &str = "ix_audit_events_tenant_action_id";

/// The triggers, one statement each, per backend.
fn triggers(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Sqlite => &[
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        ],
        DbBackend::Postgres => &[
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger \
             LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'audit_events is append-only'; END $$",
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
            // Row triggers do not see TRUNCATE.
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
        ],
        DbBackend::MySql => &[],
    }
}

fn drop_triggers(backend: DbBackend) -> &'static [&'static str] {
    match backend {
        DbBackend::Sqlite => &[
            "DROP TRIGGER IF EXISTS audit_events_no_update",
            "DROP TRIGGER IF EXISTS audit_events_no_delete",
        ],
        DbBackend::Postgres => &[
            "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
            "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
            "DROP FUNCTION IF EXISTS audit_events_append_only()",
        ],
        DbBackend::MySql => &[],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_auto(AuditEvents::Id).big_integer())
                    .col(big_integer(AuditEvents::TenantId))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(string(AuditEvents::ActorKind))
                    .col(string_null(AuditEvents::ActorId))
                    .col(string(AuditEvents::Via))
                    .col(string(AuditEvents::Action))
                    .col(string_null(AuditEvents::TargetDomain))
                    .col(string_null(AuditEvents::TargetSelector))
                    .col(
                        ColumnDef::new(AuditEvents::TargetKeyId)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::TargetApiKeyId)
                            .big_integer()
                            .null(),
                    )
                    .col(string_null(AuditEvents::RequestId))
                    .col(string_null(AuditEvents::Ip))
                    .col(string(AuditEvents::Outcome))
                    .col(string_null(AuditEvents::Fingerprint))
                    .col(text_null(AuditEvents::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditEvents::Table, AuditEvents::TenantId)
                            .to(Tenants::Table, Tenants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_TENANT)
                    .table(AuditEvents::Table)
                    .col(AuditEvents::TenantId)
                    .col((AuditEvents::Id, IndexOrder::Desc))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_ACTION)
                    .table(AuditEvents::Table)
                    .col(AuditEvents::TenantId)
                    .col(AuditEvents::Action)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in triggers(manager.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(DkimKeys::Table)
                    .add_column(string_null(DkimKeys::CreatedVia))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DkimKeys::Table)
                    .drop_column(DkimKeys::CreatedVia)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in drop_triggers(manager.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
