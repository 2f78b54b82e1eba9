//! The core's `KeyStore` over the `dkim_keys` table.

pub(crate) mod rows;

pub(crate) use rows::{aad, to_key, KeyRow};
mod write;

pub(crate) use write::{clear_default, insert, lock_tenant, set_stage};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, FromQueryResult, PaginatorTrait as _,
    PartialModelTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, QueryTrait as _,
    Select,
};
use signet_domain::ports::{KeyChange, KeyStore, NewKey, RecordedCheck};
use signet_domain::{
    AuditNote, DeleteRule, DkimKey, DnsCheck, DnsRecord, DomainName, KeyFilter, KeyId, KeyPage,
    KeyQuery, PageStart, PrivateKey, Result, Selector, TenantId,
};

use crate::connect::Storage;
use crate::entities::dkim_key::{self, Column};
use crate::entities::{stored_time, tenant};
use crate::errors::DbResultExt as _;

#[async_trait]
impl KeyStore for Storage {
    async fn insert_key(
        &self,
        tenant: TenantId,
        key: NewKey,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        let txn = self.begin_write().await.or_internal()?;
        let work = write::insert(&txn, self.keyring(), tenant, key, audit).await;
        txn.finish(work).await
    }

    async fn get_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<DkimKey>> {
        let row = dkim_key::Entity::find_by_id((tenant.0, id.0))
            .into_partial_model::<KeyRow>()
            .one(self.db())
            .await
            .or_internal()?;
        row.map(rows::to_key).transpose()
    }

    async fn find_key(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        selector: &Selector,
    ) -> Result<Option<DkimKey>> {
        let row = dkim_key::Entity::find()
            .filter(Column::TenantId.eq(tenant.0))
            .filter(Column::SigningDomain.eq(domain.as_str()))
            .filter(Column::SelectorFolded.eq(selector.folded()))
            .into_partial_model::<KeyRow>()
            .one(self.db())
            .await
            .or_internal()?;
        row.map(rows::to_key).transpose()
    }

    async fn list_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<Vec<DkimKey>> {
        let (select, backwards) = page(tenant, query);
        let mut found = select
            .into_partial_model::<KeyRow>()
            .all(self.db())
            .await
            .or_internal()?;
        if backwards {
            found.reverse();
        }
        found.into_iter().map(rows::to_key).collect()
    }

    async fn page_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<KeyPage> {
        let (select, backwards) = page(tenant, query);
        // The total rides along as a column: an uncorrelated subquery, which
        // both databases evaluate once per statement.
        let mut found = KeyRow::select_cols(select.select_only())
            .expr_as(total(tenant, &query.filter), "total")
            .into_model::<Counted>()
            .all(self.db())
            .await
            .or_internal()?;
        if backwards {
            found.reverse();
        }
        let total = match found.first() {
            Some(row) => u64::try_from(row.total).unwrap_or_default(),
            // An empty page from the start means nothing matches; past the
            // end, the total needs its own query.
            None if query.limit > 0
                && matches!(
                    query.start,
                    PageStart::First | PageStart::Last | PageStart::Offset(0)
                ) =>
            {
                0
            }
            None => self.count_keys(tenant, &query.filter).await?,
        };
        let keys = found
            .into_iter()
            .map(|row| rows::to_key(row.key))
            .collect::<Result<_>>()?;
        Ok(KeyPage { keys, total })
    }

    async fn count_keys(&self, tenant: TenantId, filter: &KeyFilter) -> Result<u64> {
        if !whole_tenant(filter) {
            return filtered(tenant, filter)
                .count(self.db())
                .await
                .or_internal();
        }
        let count: Option<i64> = kept_count(tenant)
            .into_tuple()
            .one(self.db())
            .await
            .or_internal()?;
        Ok(count.map_or(0, |n| u64::try_from(n).unwrap_or_default()))
    }

    async fn update_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        change: KeyChange,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        let txn = self.begin_write().await.or_internal()?;
        let work = write::update(&txn, self.keyring(), tenant, id, change, audit).await;
        txn.finish(work).await
    }

    async fn record_dns_check(
        &self,
        tenant: TenantId,
        id: KeyId,
        looked_up: &DnsRecord,
        check: DnsCheck,
        now: DateTime<Utc>,
        audit: &AuditNote,
    ) -> Result<Option<RecordedCheck>> {
        let txn = self.begin_write().await.or_internal()?;
        let work = write::record_dns_check(&txn, tenant, id, looked_up, check, now, audit).await;
        txn.finish(work).await
    }

    async fn delete_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        rule: DeleteRule,
        audit: &AuditNote,
    ) -> Result<bool> {
        let txn = self.begin_write().await.or_internal()?;
        let work = write::delete(&txn, tenant, id, rule, audit).await;
        txn.finish(work).await
    }

    async fn delete_domain_keys(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        audit: &AuditNote,
    ) -> Result<u64> {
        let txn = self.begin_write().await.or_internal()?;
        let work = write::delete_domain_keys(&txn, tenant, domain, audit).await;
        txn.finish(work).await
    }

    async fn private_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<PrivateKey>> {
        let row = dkim_key::Entity::find_by_id((tenant.0, id.0))
            .one(self.db())
            .await
            .or_internal()?;
        row.map(|row| rows::open(self.keyring(), &row)).transpose()
    }

    async fn keys_due_for_check(
        &self,
        checked_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(TenantId, KeyId)>> {
        // Two queries, each an ordered walk of the `dns_checked_at` index,
        // rather than one needing NULLS FIRST, which the backends order apart.
        let ids = || {
            dkim_key::Entity::find()
                .select_only()
                .column(Column::TenantId)
                .column(Column::Id)
        };
        let mut due: Vec<(i64, i64)> = ids()
            .filter(Column::DnsCheckedAt.is_null())
            .order_by_asc(Column::TenantId)
            .order_by_asc(Column::Id)
            .limit(bounded(limit))
            .into_tuple()
            .all(self.db())
            .await
            .or_internal()?;
        let room = bounded(limit).saturating_sub(due.len() as u64);
        if room > 0 {
            let oldest: Vec<(i64, i64)> = ids()
                .filter(Column::DnsCheckedAt.lt(stored_time(checked_before)))
                .order_by_asc(Column::DnsCheckedAt)
                .order_by_asc(Column::TenantId)
                .order_by_asc(Column::Id)
                .limit(room)
                .into_tuple()
                .all(self.db())
                .await
                .or_internal()?;
            due.extend(oldest);
        }
        Ok(due
            .into_iter()
            .map(|(tenant, id)| (TenantId(tenant), KeyId(id)))
            .collect())
    }
}

/// A key row and how many rows the page's filter passes.
#[derive(FromQueryResult)]
struct Counted {
    #[sea_orm(nested)]
    key: KeyRow,
    total: i64,
}

/// The select of one page, and whether it reads backwards: pages that end
/// at a bound are read backwards, then put in id order.
fn page(tenant: TenantId, query: &KeyQuery) -> (Select<dkim_key::Entity>, bool) {
    let select = filtered(tenant, &query.filter);
    let (select, backwards) = match query.start {
        PageStart::First => (select.order_by_asc(Column::Id), false),
        PageStart::Last => (select.order_by_desc(Column::Id), true),
        PageStart::After(id) => (
            select.filter(Column::Id.gt(id.0)).order_by_asc(Column::Id),
            false,
        ),
        PageStart::Before(id) => (
            select.filter(Column::Id.lt(id.0)).order_by_desc(Column::Id),
            true,
        ),
        PageStart::Offset(0) => (select.order_by_asc(Column::Id), false),
        // A seek from the first id of the page, which the offset walk finds
        // in the primary key alone: the skipped rows are never read.
        PageStart::Offset(n) => {
            let first = filtered(tenant, &query.filter)
                .select_only()
                .column(Column::Id)
                .order_by_asc(Column::Id)
                .offset(bounded(n))
                .limit(1);
            let seek = Expr::col((dkim_key::Entity, Column::Id)).gte(sub_query(first));
            (select.filter(seek).order_by_asc(Column::Id), false)
        }
    };
    (select.limit(bounded(query.limit)), backwards)
}

/// How many of the tenant's keys pass the filter, as a scalar subquery. The
/// tenant's whole count is kept on its row; a filtered one is counted in the
/// index on (tenant, domain, selector).
fn total(tenant: TenantId, filter: &KeyFilter) -> SimpleExpr {
    if whole_tenant(filter) {
        return sub_query(kept_count(tenant));
    }
    sub_query(
        filtered(tenant, filter)
            .select_only()
            .expr(Expr::col(Column::Id).count()),
    )
}

/// Whether the filter passes every key of the tenant.
fn whole_tenant(filter: &KeyFilter) -> bool {
    filter.signing_domain.is_none() && filter.selector.is_none()
}

/// The tenant's `key_count`.
fn kept_count(tenant: TenantId) -> Select<tenant::Entity> {
    tenant::Entity::find_by_id(tenant.0)
        .select_only()
        .column(tenant::Column::KeyCount)
}

/// A select as a scalar subquery.
fn sub_query<E: sea_orm::EntityTrait>(select: Select<E>) -> SimpleExpr {
    SimpleExpr::SubQuery(
        None,
        Box::new(select.into_query().into_sub_query_statement()),
    )
}

/// The tenant's keys that pass the filter.
fn filtered(tenant: TenantId, filter: &KeyFilter) -> Select<dkim_key::Entity> {
    let mut select = dkim_key::Entity::find().filter(Column::TenantId.eq(tenant.0));
    if let Some(domain) = &filter.signing_domain {
        select = select.filter(Column::SigningDomain.eq(domain.as_str()));
    }
    if let Some(selector) = &filter.selector {
        select = select.filter(Column::SelectorFolded.eq(selector.folded()));
    }
    select
}

/// A count the database drivers can bind (PostgreSQL has no unsigned 64-bit).
fn bounded(n: u64) -> u64 {
    n.min(i64::MAX as u64)
}
