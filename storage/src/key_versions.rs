//! The core's `KeyVersions` over `tenants.key_version`, which triggers on
//! `dkim_keys` move with every change to a tenant's keys.

use async_trait::async_trait;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QuerySelect as _};
use signet_domain::ports::KeyVersions;
use signet_domain::{Result, TenantId};

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
}

#[async_trait]
impl<S: KeyVersions> KeyVersions for Bounded<S> {
    async fn key_versions(&self, tenants: &[TenantId]) -> Result<Vec<(TenantId, i64)>> {
        self.within(self.inner.key_versions(tenants)).await
    }
}
