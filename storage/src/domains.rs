//! The core's `DomainStore` over the `sending_domains` table.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, Set,
};
use signet_domain::ports::DomainStore;
use signet_domain::{DomainName, Entity, Error, Result, SendingDomain, TenantId};

use crate::connect::Storage;
use crate::entities::sending_domain::{self, Column};
use crate::errors::{corrupt, DbResultExt as _};
use crate::keys::stored_time;

#[async_trait]
impl DomainStore for Storage {
    async fn insert_domain(&self, tenant: TenantId, domain: &SendingDomain) -> Result<()> {
        let row = sending_domain::ActiveModel {
            tenant_id: Set(tenant.0),
            name: Set(domain.name.as_str().to_owned()),
            authority: Set(domain.authority.as_str().to_owned()),
            created_at: Set(stored_time(domain.created_at)),
        };
        let txn = self.begin_write().await.or_internal()?;
        let work = row.insert(&*txn).await.or_conflict(Entity::Domain);
        txn.finish(work).await.map(drop)
    }

    async fn get_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
    ) -> Result<Option<SendingDomain>> {
        let row = sending_domain::Entity::find_by_id((tenant.0, name.as_str().to_owned()))
            .one(self.db())
            .await
            .or_internal()?;
        row.map(to_domain).transpose()
    }

    async fn list_domains(
        &self,
        tenant: TenantId,
        after: Option<&DomainName>,
        limit: u64,
    ) -> Result<Vec<SendingDomain>> {
        let mut select = sending_domain::Entity::find().filter(Column::TenantId.eq(tenant.0));
        if let Some(after) = after {
            select = select.filter(Column::Name.gt(after.as_str()));
        }
        let rows = select
            .order_by_asc(Column::Name)
            .limit(limit.min(i64::MAX as u64))
            .all(self.db())
            .await
            .or_internal()?;
        rows.into_iter().map(to_domain).collect()
    }

    async fn set_authority(
        &self,
        tenant: TenantId,
        name: &DomainName,
        authority: &DomainName,
    ) -> Result<()> {
        let txn = self.begin_write().await.or_internal()?;
        let work = sending_domain::Entity::update_many()
            .col_expr(Column::Authority, Expr::value(authority.as_str()))
            .filter(Column::TenantId.eq(tenant.0))
            .filter(Column::Name.eq(name.as_str()))
            .exec(&*txn)
            .await
            .or_internal();
        if txn.finish(work).await?.rows_affected == 0 {
            return Err(Error::NotFound(Entity::Domain));
        }
        Ok(())
    }

    async fn reset_delegations(&self, tenant: TenantId, authority: &DomainName) -> Result<()> {
        let txn = self.begin_write().await.or_internal()?;
        let work = sending_domain::Entity::update_many()
            .col_expr(Column::Authority, Expr::col(Column::Name).into())
            .filter(Column::TenantId.eq(tenant.0))
            .filter(Column::Authority.eq(authority.as_str()))
            .filter(Column::Name.ne(authority.as_str()))
            .exec(&*txn)
            .await
            .or_internal();
        txn.finish(work).await.map(drop)
    }

    async fn delete_domain(&self, tenant: TenantId, name: &DomainName) -> Result<bool> {
        let txn = self.begin_write().await.or_internal()?;
        let work = sending_domain::Entity::delete_by_id((tenant.0, name.as_str().to_owned()))
            .exec(&*txn)
            .await
            .or_internal();
        Ok(txn.finish(work).await?.rows_affected > 0)
    }
}

fn to_domain(row: sending_domain::Model) -> Result<SendingDomain> {
    let what = || format!("domain {}", row.name);
    Ok(SendingDomain {
        name: DomainName::parse(&row.name).map_err(|e| corrupt(&what(), e))?,
        authority: DomainName::parse(&row.authority).map_err(|e| corrupt(&what(), e))?,
        created_at: row.created_at,
    })
}
