//! The core's `FleetStore` over the `fleets` table, and the feed's read of
//! `dkim_keys`, private keys opened here.

use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    Set,
};
use signet_domain::ports::FleetStore;
use signet_domain::{
    AuditNote, DomainName, Entity, FeedKey, Fleet, FleetAccess, FleetDomains, FleetId, FleetName,
    FleetTokenHash, KeyStage, Result, TenantId,
};

use crate::audit;
use crate::connect::Storage;
use crate::entities::stored_time;
use crate::entities::{dkim_key, fleet, tenant};
use crate::errors::{corrupt, DbResultExt as _};
use crate::keys::{rows, to_key};
use crate::tenants::to_tenant;

/// The stages a fleet may receive; switched-off active keys are dropped after.
const SERVED_STAGES: [KeyStage; 3] = [KeyStage::Pending, KeyStage::Active, KeyStage::Retiring];

#[async_trait]
impl FleetStore for Storage {
    async fn create_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        domains: &FleetDomains,
        token: &FleetTokenHash,
        audit: &AuditNote,
    ) -> Result<Fleet> {
        let names: Vec<&str> = domains.as_slice().iter().map(DomainName::as_str).collect();
        let row = fleet::ActiveModel {
            tenant_id: Set(tenant.0),
            name: Set(name.as_str().to_owned()),
            domains: Set(serde_json::to_string(&names).expect("strings always serialize")),
            token_hash: Set(token.0.clone()),
            created_at: Set(stored_time(audit.at)),
            last_read_etag: Set(None),
            ..Default::default()
        };
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let row = row.insert(&*txn).await.or_conflict(Entity::Fleet)?;
            let detail = format!("domains {}", names.join(","));
            let event = audit.about_fleet(name).with_detail(detail);
            audit::record(&*txn, tenant, event).await?;
            Ok(row)
        }
        .await;
        to_fleet(txn.finish(work).await?)
    }

    async fn list_fleets(&self, tenant: TenantId) -> Result<Vec<Fleet>> {
        let rows = fleet::Entity::find()
            .filter(fleet::Column::TenantId.eq(tenant.0))
            .order_by_asc(fleet::Column::Name)
            .all(self.db())
            .await
            .or_internal()?;
        rows.into_iter().map(to_fleet).collect()
    }

    async fn revoke_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        audit: &AuditNote,
    ) -> Result<bool> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let deleted = fleet::Entity::delete_many()
                .filter(fleet::Column::TenantId.eq(tenant.0))
                .filter(fleet::Column::Name.eq(name.as_str()))
                .exec(&*txn)
                .await
                .or_internal()?;
            if deleted.rows_affected == 0 {
                return Ok(false);
            }
            audit::record(&*txn, tenant, audit.about_fleet(name)).await?;
            Ok(true)
        }
        .await;
        txn.finish(work).await
    }

    async fn fleet_by_token(&self, token: &FleetTokenHash) -> Result<Option<FleetAccess>> {
        let row = fleet::Entity::find()
            .filter(fleet::Column::TokenHash.eq(token.0.as_str()))
            .find_also_related(tenant::Entity)
            .one(self.db())
            .await
            .or_internal()?;
        let Some((row, Some(owner))) = row else {
            return Ok(None);
        };
        let last_read = row.last_read_etag.clone();
        Ok(Some(FleetAccess {
            tenant: to_tenant(owner)?,
            fleet: to_fleet(row)?,
            last_read,
        }))
    }

    async fn feed_keys(&self, tenant: TenantId, domains: &FleetDomains) -> Result<Vec<FeedKey>> {
        let names = domains.as_slice().iter().map(DomainName::as_str);
        let stages = SERVED_STAGES.iter().map(|s| s.as_str());
        let found = dkim_key::Entity::find()
            .filter(dkim_key::Column::TenantId.eq(tenant.0))
            .filter(dkim_key::Column::SigningDomain.is_in(names))
            .filter(dkim_key::Column::Stage.is_in(stages))
            .order_by_asc(dkim_key::Column::SigningDomain)
            .order_by_asc(dkim_key::Column::Selector)
            .all(self.db())
            .await
            .or_internal()?;
        let mut served = Vec::with_capacity(found.len());
        for row in found {
            let key = to_key(row.clone())?;
            if FeedKey::is_served(&key) {
                let private_key = rows::open(self.keyring(), &row)?;
                served.push(FeedKey { key, private_key });
            }
        }
        // In byte order whatever the database's collation, so every node
        // and backend renders the same body (and ETag).
        served.sort_by(|a, b| {
            (a.key.signing_domain.as_str(), a.key.selector.as_str())
                .cmp(&(b.key.signing_domain.as_str(), b.key.selector.as_str()))
        });
        Ok(served)
    }

    async fn record_fleet_read(
        &self,
        tenant: TenantId,
        fleet: &Fleet,
        etag: &str,
        audit: &AuditNote,
    ) -> Result<bool> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let changed = fleet::Entity::update_many()
                .col_expr(fleet::Column::LastReadEtag, Expr::value(etag))
                .filter(fleet::Column::TenantId.eq(tenant.0))
                .filter(fleet::Column::Id.eq(fleet.id.0))
                .filter(
                    Condition::any()
                        .add(fleet::Column::LastReadEtag.is_null())
                        .add(fleet::Column::LastReadEtag.ne(etag)),
                )
                .exec(&*txn)
                .await
                .or_internal()?;
            if changed.rows_affected == 0 {
                return Ok(false);
            }
            let event = audit
                .about_fleet(&fleet.name)
                .with_detail(format!("etag {etag}"));
            audit::record(&*txn, tenant, event).await?;
            Ok(true)
        }
        .await;
        txn.finish(work).await
    }
}

fn to_fleet(row: fleet::Model) -> Result<Fleet> {
    let what = format!("fleet {}", row.id);
    let names: Vec<String> = serde_json::from_str(&row.domains).map_err(|e| corrupt(&what, e))?;
    let domains = names
        .iter()
        .map(|d| DomainName::parse(d))
        .collect::<std::result::Result<Vec<_>, _>>()
        .and_then(FleetDomains::new)
        .map_err(|e| corrupt(&what, e))?;
    Ok(Fleet {
        id: FleetId(row.id),
        name: FleetName::parse(&row.name).map_err(|e| corrupt(&what, e))?,
        domains,
        created_at: row.created_at,
    })
}
