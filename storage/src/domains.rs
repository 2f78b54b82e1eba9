//! The core's `DomainStore` over the `sending_domains` table.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, LikeExpr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, DbErr, EntityTrait as _, FromQueryResult,
    JoinType, PaginatorTrait as _, PartialModelTrait as _, QueryFilter as _, QueryOrder as _,
    QueryResult, QuerySelect as _, QueryTrait as _, Select, Set,
};
use signet_domain::delegation::ZoneLabel;
use signet_domain::ports::DomainStore;
use signet_domain::{
    AuditNote, DnsStatus, DomainName, DomainOrder, DomainPage, DomainQuery, DomainView, Entity,
    Error, Result, SendingDomain, TenantId,
};

use crate::audit;
use crate::connect::Storage;
use crate::entities::sending_domain::{self, Column};
use crate::entities::stored_time;
use crate::entities::{dkim_key, rotation_setting};
use crate::errors::{corrupt, DbResultExt as _};
use crate::keys::{to_key, KeyRow};

#[async_trait]
impl DomainStore for Storage {
    async fn insert_domain(
        &self,
        tenant: TenantId,
        domain: &SendingDomain,
        audit: &AuditNote,
    ) -> Result<()> {
        let row = sending_domain::ActiveModel {
            tenant_id: Set(tenant.0),
            name: Set(domain.name.as_str().to_owned()),
            authority: Set(domain.authority.as_str().to_owned()),
            created_at: Set(stored_time(domain.created_at)),
            zone_label: Set(domain.zone_label.as_ref().map(|l| l.as_str().to_owned())),
        };
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            row.insert(&*txn).await.or_conflict(Entity::Domain)?;
            let event = audit.about_domain(&domain.name);
            let event = if domain.is_own_authority() {
                event
            } else {
                event.with_detail(format!("authority {}", domain.authority))
            };
            audit::record(&*txn, tenant, event).await
        }
        .await;
        txn.finish(work).await
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

    async fn find_domains(&self, tenant: TenantId, query: &DomainQuery) -> Result<DomainPage> {
        let matching = matching(tenant, query);
        // The count rides along as a column (an uncorrelated subquery, which
        // both databases evaluate once), so a page is one round trip.
        let count = matching
            .clone()
            .select_only()
            .expr(Expr::col((sending_domain::Entity, Column::Name)).count())
            .into_query();
        let total = SimpleExpr::SubQuery(None, Box::new(count.into_sub_query_statement()));
        let unordered = matching.clone();
        let ordered = match query.order {
            DomainOrder::NewestFirst => unordered
                .order_by_desc(Column::CreatedAt)
                .order_by_asc(Column::Name),
            DomainOrder::NameAscending => unordered.order_by_asc(Column::Name),
            DomainOrder::NameDescending => unordered.order_by_desc(Column::Name),
        };
        let rows = KeyRow::select_cols_nested(ordered, Some(KEY_PREFIX), None)
            .expr_as(total, "total")
            .offset(bounded(query.skip))
            .limit(bounded(query.limit))
            .into_model::<DomainRow>()
            .all(self.db())
            .await
            .or_internal()?;
        let total = match rows.first() {
            Some(row) => u64::try_from(row.total).unwrap_or_default(),
            // Nothing from the start means nothing matches; past the end,
            // the total needs its own query.
            None if query.skip == 0 && query.limit > 0 => 0,
            None => matching.count(self.db()).await.or_internal()?,
        };
        let views = rows
            .into_iter()
            .map(|row| {
                Ok(DomainView {
                    domain: to_domain(row.domain)?,
                    signing_key: row.key.map(to_key).transpose()?,
                    delegation: None,
                })
            })
            .collect::<Result<_>>()?;
        Ok(DomainPage { total, views })
    }

    async fn set_authority(
        &self,
        tenant: TenantId,
        name: &DomainName,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<()> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let updated = sending_domain::Entity::update_many()
                .col_expr(Column::Authority, Expr::value(authority.as_str()))
                .filter(Column::TenantId.eq(tenant.0))
                .filter(Column::Name.eq(name.as_str()))
                .exec(&*txn)
                .await
                .or_internal()?;
            if updated.rows_affected == 0 {
                return Err(Error::NotFound(Entity::Domain));
            }
            let event = audit
                .about_domain(name)
                .with_detail(format!("authority {authority}"));
            audit::record(&*txn, tenant, event).await
        }
        .await;
        txn.finish(work).await
    }

    async fn reset_delegations(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<()> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let delegating: Vec<String> = sending_domain::Entity::find()
                .select_only()
                .column(Column::Name)
                .filter(Column::TenantId.eq(tenant.0))
                .filter(Column::Authority.eq(authority.as_str()))
                .filter(Column::Name.ne(authority.as_str()))
                .into_tuple()
                .all(&*txn)
                .await
                .or_internal()?;
            for name in delegating {
                sending_domain::Entity::update_many()
                    .col_expr(Column::Authority, Expr::col(Column::Name).into())
                    .filter(Column::TenantId.eq(tenant.0))
                    .filter(Column::Name.eq(name.as_str()))
                    .exec(&*txn)
                    .await
                    .or_internal()?;
                let name = DomainName::parse(&name).map_err(|e| corrupt("domain name", e))?;
                let event = audit
                    .about_domain(&name)
                    .with_detail(format!("authority {name}"));
                audit::record(&*txn, tenant, event).await?;
            }
            Ok(())
        }
        .await;
        txn.finish(work).await
    }

    async fn delete_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
        audit: &AuditNote,
    ) -> Result<bool> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let deleted =
                sending_domain::Entity::delete_by_id((tenant.0, name.as_str().to_owned()))
                    .exec(&*txn)
                    .await
                    .or_internal()?;
            if deleted.rows_affected == 0 {
                return Ok(false);
            }
            // Its keys go with it, and so do their rotation settings; the
            // selectors rotations issued stay, so none is issued again.
            rotation_setting::Entity::delete_by_id((tenant.0, name.as_str().to_owned()))
                .exec(&*txn)
                .await
                .or_internal()?;
            audit::record(&*txn, tenant, audit.about_domain(name)).await?;
            Ok(true)
        }
        .await;
        txn.finish(work).await
    }
}

/// The prefix of the signing key's columns in a domain row.
const KEY_PREFIX: &str = "key_";

/// A domain, its signing key's columns (never the sealed private key), and
/// how many domains match the query.
struct DomainRow {
    domain: sending_domain::Model,
    key: Option<KeyRow>,
    total: i64,
}

impl FromQueryResult for DomainRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            domain: sending_domain::Model::from_query_result(res, pre)?,
            key: Option::<KeyRow>::from_query_result(res, KEY_PREFIX)?,
            total: res.try_get(pre, "total")?,
        })
    }
}

/// The tenant's domains that match the query's filters, each joined to its
/// authority's default key (at most one: setting a default clears the others).
fn matching(tenant: TenantId, query: &DomainQuery) -> Select<sending_domain::Entity> {
    let signing_key = sending_domain::Entity::belongs_to(dkim_key::Entity)
        .from((Column::TenantId, Column::Authority))
        .to((dkim_key::Column::TenantId, dkim_key::Column::SigningDomain))
        // The bare column, as the partial index `uq_dkim_keys_default` is
        // declared: SQLite uses a partial index only for the very term, and
        // reads every key of the domain for `= true`.
        .on_condition(|_, key| {
            Condition::all().add(SimpleExpr::from(Expr::col((
                key,
                dkim_key::Column::DefaultForDomain,
            ))))
        })
        .into();
    let mut select = sending_domain::Entity::find()
        .join(JoinType::LeftJoin, signing_key)
        .filter(Column::TenantId.eq(tenant.0));
    if let Some(authority) = &query.authority {
        select = select.filter(Column::Authority.eq(authority.as_str()));
    }
    if let Some(text) = &query.name_contains {
        let pattern = format!("%{}%", escape_like(text));
        select = select.filter(Column::Name.like(LikeExpr::new(pattern).escape('\\')));
    }
    let valid = DnsStatus::Valid.as_str();
    match query.verified {
        Some(true) => select = select.filter(dkim_key::Column::DnsStatus.eq(valid)),
        Some(false) => {
            select = select.filter(
                Condition::any()
                    .add(dkim_key::Column::DnsStatus.is_null())
                    .add(dkim_key::Column::DnsStatus.ne(valid)),
            );
        }
        None => {}
    }
    select
}

/// `text` matched literally by LIKE: its wildcards and the escape escaped.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A count the database drivers can bind (PostgreSQL has no unsigned 64-bit).
fn bounded(n: u64) -> u64 {
    n.min(i64::MAX as u64)
}

fn to_domain(row: sending_domain::Model) -> Result<SendingDomain> {
    let what = || format!("domain {}", row.name);
    Ok(SendingDomain {
        name: DomainName::parse(&row.name).map_err(|e| corrupt(&what(), e))?,
        authority: DomainName::parse(&row.authority).map_err(|e| corrupt(&what(), e))?,
        created_at: row.created_at,
        zone_label: row
            .zone_label
            .as_deref()
            .map(ZoneLabel::parse)
            .transpose()
            .map_err(|e| corrupt(&what(), e))?,
    })
}
