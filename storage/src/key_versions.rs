//! The core's `KeyVersions` over `tenants.key_version`, which triggers on
//! `dkim_keys` move with every change to a tenant's keys, and
//! `tenants.key_count`.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use signet_domain::ports::KeyVersions;
use signet_domain::{KeyId, Result, TenantId};

use crate::bounded::Bounded;
use crate::connect::Storage;
use crate::entities::dkim_key;
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
        let ids: Vec<i64> = dkim_key::Entity::find()
            .select_only()
            .column(dkim_key::Column::Id)
            .filter(dkim_key::Column::TenantId.eq(tenant.0))
            .order_by_asc(dkim_key::Column::Id)
            .into_tuple()
            .all(self.db())
            .await
            .or_internal()?;
        Ok(ids.into_iter().map(KeyId).collect())
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
