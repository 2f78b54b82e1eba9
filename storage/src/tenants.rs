//! The core's `TenantStore` over the `tenants` and `api_keys` tables.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, EntityTrait as _, JoinType,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, RelationTrait as _, Set,
};
use signet_domain::ports::TenantStore;
use signet_domain::tenant::{ApiKeyHash, ApiKeyInfo, ApiKeyLabel};
use signet_domain::{
    ApiKeyId, AuditNote, Entity, Error, MinRsaBits, Result, Tenant, TenantId, TenantName,
    TenantSettings,
};

use crate::audit;
use crate::connect::Storage;
use crate::entities::stored_time;
use crate::entities::{api_key, tenant};
use crate::errors::{corrupt, DbResultExt as _};

#[async_trait]
impl TenantStore for Storage {
    async fn create_tenant(&self, name: &TenantName, audit: &AuditNote) -> Result<Tenant> {
        let row = tenant::ActiveModel {
            name: Set(name.as_str().to_owned()),
            private_key_export: Set(TenantSettings::default().private_key_export),
            min_rsa_bits: Set(stored_bits(TenantSettings::default().min_rsa_bits)),
            next_key_id: Set(1),
            created_at: Set(stored_time(audit.at)),
            ..Default::default()
        };
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let row = row.insert(&*txn).await.or_conflict(Entity::Tenant)?;
            audit::record(&*txn, TenantId(row.id), audit.about_tenant()).await?;
            Ok(row)
        }
        .await;
        to_tenant(txn.finish(work).await?)
    }

    async fn find_tenant(&self, name: &TenantName) -> Result<Option<Tenant>> {
        let row = tenant::Entity::find()
            .filter(tenant::Column::Name.eq(name.as_str()))
            .one(self.db())
            .await
            .or_internal()?;
        row.map(to_tenant).transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let rows = tenant::Entity::find()
            .order_by_asc(tenant::Column::Name)
            .all(self.db())
            .await
            .or_internal()?;
        rows.into_iter().map(to_tenant).collect()
    }

    async fn update_settings(
        &self,
        tenant: TenantId,
        settings: TenantSettings,
        audit: &AuditNote,
    ) -> Result<Tenant> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let updated = tenant::Entity::update_many()
                .col_expr(
                    tenant::Column::PrivateKeyExport,
                    Expr::value(settings.private_key_export),
                )
                .col_expr(
                    tenant::Column::MinRsaBits,
                    Expr::value(stored_bits(settings.min_rsa_bits)),
                )
                .filter(tenant::Column::Id.eq(tenant.0))
                .exec(&*txn)
                .await
                .or_internal()?;
            if updated.rows_affected == 0 {
                return Err(Error::NotFound(Entity::Tenant));
            }
            let detail = format!(
                "private_key_export={} min_rsa_bits={}",
                settings.private_key_export, settings.min_rsa_bits
            );
            audit::record(&*txn, tenant, audit.about_tenant().with_detail(detail)).await?;
            tenant::Entity::find_by_id(tenant.0)
                .one(&*txn)
                .await
                .or_internal()?
                .ok_or(Error::NotFound(Entity::Tenant))
        }
        .await;
        to_tenant(txn.finish(work).await?)
    }

    async fn add_api_key(
        &self,
        tenant: TenantId,
        hash: &ApiKeyHash,
        label: Option<&ApiKeyLabel>,
        audit: &AuditNote,
    ) -> Result<ApiKeyId> {
        let row = api_key::ActiveModel {
            tenant_id: Set(tenant.0),
            hash: Set(hash.0.clone()),
            label: Set(label.map(|l| l.as_str().to_owned())),
            created_at: Set(stored_time(audit.at)),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        };
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let id = ApiKeyId(row.insert(&*txn).await.or_conflict(Entity::ApiKey)?.id);
            audit::record(&*txn, tenant, audit.about_api_key(id)).await?;
            Ok(id)
        }
        .await;
        txn.finish(work).await
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyInfo>> {
        let rows = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(tenant.0))
            .order_by_asc(api_key::Column::Id)
            .all(self.db())
            .await
            .or_internal()?;
        rows.into_iter()
            .map(|row| {
                let label = row
                    .label
                    .as_deref()
                    .map(ApiKeyLabel::parse)
                    .transpose()
                    .map_err(|e| corrupt("API key label", e))?;
                Ok(ApiKeyInfo {
                    id: ApiKeyId(row.id),
                    label,
                    created_at: row.created_at,
                    last_used_at: row.last_used_at,
                    revoked_at: row.revoked_at,
                })
            })
            .collect()
    }

    async fn touch_api_key(&self, hash: &ApiKeyHash, now: DateTime<Utc>) -> Result<()> {
        let a_minute_ago = stored_time(now - chrono::Duration::minutes(1));
        let txn = self.begin_write().await.or_internal()?;
        let work = api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(stored_time(now)))
            .filter(api_key::Column::Hash.eq(hash.0.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(api_key::Column::LastUsedAt.is_null())
                    .add(api_key::Column::LastUsedAt.lt(a_minute_ago)),
            )
            .exec(&*txn)
            .await
            .or_internal();
        txn.finish(work).await.map(drop)
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        audit: &AuditNote,
    ) -> Result<bool> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let revoked = api_key::Entity::update_many()
                .col_expr(
                    api_key::Column::RevokedAt,
                    Expr::value(stored_time(audit.at)),
                )
                .filter(api_key::Column::TenantId.eq(tenant.0))
                .filter(api_key::Column::Id.eq(id.0))
                .filter(api_key::Column::RevokedAt.is_null())
                .exec(&*txn)
                .await
                .or_internal()?;
            if revoked.rows_affected == 0 {
                return Ok(false);
            }
            audit::record(&*txn, tenant, audit.about_api_key(id)).await?;
            Ok(true)
        }
        .await;
        txn.finish(work).await
    }

    async fn tenant_by_api_key(&self, hash: &ApiKeyHash) -> Result<Option<(Tenant, ApiKeyId)>> {
        let row = tenant::Entity::find()
            .join(JoinType::InnerJoin, api_key::Relation::Tenant.def().rev())
            .select_also(api_key::Entity)
            .filter(api_key::Column::Hash.eq(hash.0.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .limit(1)
            .one(self.db())
            .await
            .or_internal()?;
        match row {
            Some((tenant, Some(key))) => Ok(Some((to_tenant(tenant)?, ApiKeyId(key.id)))),
            _ => Ok(None),
        }
    }

    async fn ping(&self) -> Result<()> {
        self.db().ping().await.map_err(Error::unavailable)
    }
}

pub(crate) fn to_tenant(row: tenant::Model) -> Result<Tenant> {
    Ok(Tenant {
        id: TenantId(row.id),
        name: TenantName::parse(&row.name).map_err(|e| corrupt("tenant name", e))?,
        settings: TenantSettings {
            private_key_export: row.private_key_export,
            min_rsa_bits: u32::try_from(row.min_rsa_bits)
                .map_err(|e| corrupt("tenant min_rsa_bits", e))
                .and_then(|bits| {
                    MinRsaBits::try_from(bits).map_err(|e| corrupt("tenant min_rsa_bits", e))
                })?,
        },
    })
}

fn stored_bits(min: MinRsaBits) -> i32 {
    i32::try_from(min.bits()).expect("512, 1024 or 2048 fits an i32")
}
