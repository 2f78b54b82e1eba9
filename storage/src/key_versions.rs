//! The core's `KeyVersions` over `tenants.key_version`, which triggers on
//! `dkim_keys` move with every change to a tenant's keys, and
//! `tenants.key_count`.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DbBackend, EntityTrait as _, QueryFilter as _,
    QuerySelect as _, Statement,
};
use signet_domain::ports::KeyVersions;
use signet_domain::{KeyId, Result, TenantId};

use crate::bounded::Bounded;
use crate::connect::Storage;
use crate::entities::tenant::{self, Column};
use crate::errors::DbResultExt as _;

#[async_trait]
impl KeyVersions for Storage {
    async fn key_versions(&self, tenants: &[TenantId]) -> Result<Vec<(TenantId, i64)>> {
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<(i64, i64)> = tenant::Entity::find()
            .select_only()
            .column(Column::Id)
            .column(Column::KeyVersion)
            .filter(Column::Id.is_in(tenants.iter().map(|t| t.0)))
            .into_tuple()
            .all(self.db())
            .await
            .or_internal()?;
        Ok(found
            .into_iter()
            .map(|(id, version)| (TenantId(id), version))
            .collect())
    }

    async fn key_census(&self, tenant: TenantId) -> Result<Option<(i64, u64)>> {
        let found: Option<(i64, i64)> = tenant::Entity::find_by_id(tenant.0)
            .select_only()
            .column(Column::KeyVersion)
            .column(Column::KeyCount)
            .into_tuple()
            .one(self.db())
            .await
            .or_internal()?;
        Ok(found.map(|(version, count)| (version, count.max(0) as u64)))
    }

    async fn key_ids(&self, tenant: TenantId) -> Result<Vec<KeyId>> {
        // One row, the ids joined by commas, rather than a row per id: on
        // SQLite each row is a hop from the connection's thread, and a large
        // tenant has 100,000.
        let backend = self.db().get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM dkim_keys WHERE tenant_id = $1"
            }
            _ => {
                "SELECT group_concat(id) FROM \
                 (SELECT id FROM dkim_keys WHERE tenant_id = ? ORDER BY id)"
            }
        };
        let row = self
            .db()
            .query_one(Statement::from_sql_and_values(
                backend,
                sql,
                [tenant.0.into()],
            ))
            .await
            .or_internal()?;
        let joined: Option<String> = match row {
            Some(row) => row.try_get_by_index(0).or_internal()?,
            None => None,
        };
        let mut ids = Vec::new();
        for id in joined.as_deref().unwrap_or_default().split_terminator(',') {
            let id = id
                .parse()
                .map_err(|_| signet_domain::Error::internal(format!("key id `{id}`")))?;
            ids.push(KeyId(id));
        }
        // group_concat promises no order; the ids come sorted in practice.
        ids.sort_unstable();
        Ok(ids)
    }
}

#[async_trait]
impl<S: KeyVersions> KeyVersions for Bounded<S> {
    async fn key_versions(&self, tenants: &[TenantId]) -> Result<Vec<(TenantId, i64)>> {
        self.within(self.inner.key_versions(tenants)).await
    }

    async fn key_census(&self, tenant: TenantId) -> Result<Option<(i64, u64)>> {
        self.within(self.inner.key_census(tenant)).await
    }

    async fn key_ids(&self, tenant: TenantId) -> Result<Vec<KeyId>> {
        self.within(self.inner.key_ids(tenant)).await
    }
}
