//! The core's `PublisherStore` over the `dns_publishers` table, TSIG
//! secrets sealed like private keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, Set,
};
use serde::{Deserialize, Serialize};
use signet_domain::ports::PublisherStore;
use signet_domain::tsig::{TsigAlgorithm, TsigKey};
use signet_domain::{
    AuditNote, DomainName, PublishOutcome, PublishStatus, Publisher, PublisherConfig, Result,
    TenantId, TxtRecord,
};

use crate::audit;
use crate::connect::Storage;
use crate::entities::dns_publisher;
use crate::entities::stored_time;
use crate::errors::{corrupt, internal, DbResultExt as _};
use crate::sealing::Keyring;

/// A written record as stored in the `written` column.
#[derive(Serialize, Deserialize)]
struct StoredRecord {
    name: String,
    strings: Vec<String>,
}

#[async_trait]
impl PublisherStore for Storage {
    async fn set_publisher(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        config: &PublisherConfig,
        audit: &AuditNote,
    ) -> Result<Publisher> {
        let sealed = self
            .keyring()
            .seal(config.key.secret(), &aad(tenant, authority))
            .map_err(|e| internal(format!("cannot seal the TSIG key of {authority}"), e))?;
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let id = (tenant.0, authority.as_str().to_owned());
            let before = dns_publisher::Entity::find_by_id(id)
                .one(&*txn)
                .await
                .or_internal()?;
            // Records written to the same server and zone are still there to
            // remove; elsewhere they are out of reach.
            let written = match &before {
                Some(row)
                    if row.server == config.server.to_string()
                        && row.zone == config.zone.as_str() =>
                {
                    row.written.clone()
                }
                _ => "[]".to_owned(),
            };
            let row = dns_publisher::ActiveModel {
                tenant_id: Set(tenant.0),
                authority: Set(authority.as_str().to_owned()),
                server: Set(config.server.to_string()),
                zone: Set(config.zone.as_str().to_owned()),
                tsig_name: Set(config.key.name.as_str().to_owned()),
                tsig_algorithm: Set(config.key.algorithm.as_str().to_owned()),
                tsig_secret_sealed: Set(sealed.bytes),
                tsig_secret_kid: Set(sealed.kid),
                status: Set(PublishStatus::Pending.as_str().to_owned()),
                last_error: Set(None),
                last_published_at: Set(before.as_ref().and_then(|r| r.last_published_at)),
                failures: Set(0),
                retry_at: Set(None),
                written: Set(written),
                configured_at: Set(stored_time(audit.at)),
            };
            let row = if before.is_some() {
                row.update(&*txn).await.or_internal()?
            } else {
                row.insert(&*txn).await.or_internal()?
            };
            let detail = format!(
                "server {}, zone {}, key {}",
                config.server, config.zone, config.key
            );
            let event = audit.about_domain(authority).with_detail(detail);
            audit::record(&*txn, tenant, event).await?;
            Ok(row)
        }
        .await;
        let row = txn.finish(work).await?;
        to_publisher(self.keyring(), row)
    }

    async fn publisher(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<Publisher>> {
        dns_publisher::Entity::find_by_id((tenant.0, authority.as_str().to_owned()))
            .one(self.db())
            .await
            .or_internal()?
            .map(|row| to_publisher(self.keyring(), row))
            .transpose()
    }

    async fn delete_publisher(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<bool> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let deleted =
                dns_publisher::Entity::delete_by_id((tenant.0, authority.as_str().to_owned()))
                    .exec(&*txn)
                    .await
                    .or_internal()?;
            if deleted.rows_affected == 0 {
                return Ok(false);
            }
            audit::record(&*txn, tenant, audit.about_domain(authority)).await?;
            Ok(true)
        }
        .await;
        txn.finish(work).await
    }

    async fn publisher_authorities(
        &self,
        after: Option<(TenantId, DomainName)>,
        limit: u64,
    ) -> Result<Vec<(TenantId, DomainName)>> {
        let mut query = dns_publisher::Entity::find()
            .select_only()
            .column(dns_publisher::Column::TenantId)
            .column(dns_publisher::Column::Authority);
        if let Some((t, a)) = &after {
            query = query.filter(
                Condition::any()
                    .add(dns_publisher::Column::TenantId.gt(t.0))
                    .add(
                        Condition::all()
                            .add(dns_publisher::Column::TenantId.eq(t.0))
                            .add(dns_publisher::Column::Authority.gt(a.as_str())),
                    ),
            );
        }
        let rows: Vec<(i64, String)> = query
            .order_by_asc(dns_publisher::Column::TenantId)
            .order_by_asc(dns_publisher::Column::Authority)
            .limit(limit.min(i64::MAX as u64))
            .into_tuple()
            .all(self.db())
            .await
            .or_internal()?;
        rows.into_iter()
            .map(|(tenant, authority)| {
                let name =
                    DomainName::parse(&authority).map_err(|e| corrupt("publisher authority", e))?;
                Ok((TenantId(tenant), name))
            })
            .collect()
    }

    async fn record_publish(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        configured_at: DateTime<Utc>,
        outcome: &PublishOutcome,
        audit: Option<&AuditNote>,
    ) -> Result<bool> {
        let mut update = dns_publisher::Entity::update_many();
        update = match outcome {
            PublishOutcome::Published { written, at, .. } => update
                .col_expr(dns_publisher::Column::Status, Expr::value("ok"))
                .col_expr(
                    dns_publisher::Column::LastError,
                    Expr::value(None::<String>),
                )
                .col_expr(
                    dns_publisher::Column::LastPublishedAt,
                    Expr::value(stored_time(*at)),
                )
                .col_expr(dns_publisher::Column::Failures, Expr::value(0))
                .col_expr(
                    dns_publisher::Column::RetryAt,
                    Expr::value(None::<DateTime<Utc>>),
                )
                .col_expr(
                    dns_publisher::Column::Written,
                    Expr::value(to_json(written)),
                ),
            PublishOutcome::Failed {
                error,
                failures,
                retry_at,
            } => update
                .col_expr(dns_publisher::Column::Status, Expr::value("failing"))
                .col_expr(dns_publisher::Column::LastError, Expr::value(error.clone()))
                .col_expr(
                    dns_publisher::Column::Failures,
                    Expr::value(i32::try_from(*failures).unwrap_or(i32::MAX)),
                )
                .col_expr(
                    dns_publisher::Column::RetryAt,
                    Expr::value(stored_time(*retry_at)),
                ),
        };
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            let updated = update
                .filter(dns_publisher::Column::TenantId.eq(tenant.0))
                .filter(dns_publisher::Column::Authority.eq(authority.as_str()))
                .filter(dns_publisher::Column::ConfiguredAt.eq(stored_time(configured_at)))
                .exec(&*txn)
                .await
                .or_internal()?;
            if updated.rows_affected == 0 {
                return Ok(false);
            }
            if let Some(note) = audit {
                let event = note.about_domain(authority).with_detail(outcome.detail());
                audit::record(&*txn, tenant, event).await?;
            }
            Ok(true)
        }
        .await;
        txn.finish(work).await
    }
}

/// Binds a sealed TSIG secret to its row: it opens under no other tenant
/// or authority.
fn aad(tenant: TenantId, authority: &DomainName) -> Vec<u8> {
    let mut aad = b"signet/dns_publishers/v1".to_vec();
    aad.extend_from_slice(&tenant.0.to_be_bytes());
    aad.extend_from_slice(authority.as_str().as_bytes());
    aad
}

fn to_json(records: &[TxtRecord]) -> String {
    let stored: Vec<StoredRecord> = records
        .iter()
        .map(|r| StoredRecord {
            name: r.name.clone(),
            strings: r.strings.clone(),
        })
        .collect();
    serde_json::to_string(&stored).expect("strings always serialize")
}

fn to_publisher(keyring: &Keyring, row: dns_publisher::Model) -> Result<Publisher> {
    let authority = DomainName::parse(&row.authority).map_err(|e| corrupt("authority", e))?;
    let secret = keyring
        .open(
            &row.tsig_secret_kid,
            &row.tsig_secret_sealed,
            &aad(TenantId(row.tenant_id), &authority),
        )
        .map_err(|e| corrupt(&format!("TSIG secret of {authority}"), e))?;
    let key = TsigKey::new(
        DomainName::parse(&row.tsig_name).map_err(|e| corrupt("TSIG key name", e))?,
        TsigAlgorithm::parse(&row.tsig_algorithm).map_err(|e| corrupt("TSIG algorithm", e))?,
        secret.to_vec(),
    )
    .map_err(|e| corrupt("TSIG key", e))?;
    let written: Vec<StoredRecord> =
        serde_json::from_str(&row.written).map_err(|e| corrupt("written records", e))?;
    Ok(Publisher {
        config: PublisherConfig {
            server: row.server.parse().map_err(|e| corrupt("server", e))?,
            zone: DomainName::parse(&row.zone).map_err(|e| corrupt("zone", e))?,
            key,
        },
        authority,
        status: PublishStatus::parse(&row.status).map_err(|e| corrupt("status", e))?,
        last_error: row.last_error,
        last_published_at: row.last_published_at,
        failures: u32::try_from(row.failures).unwrap_or(0),
        retry_at: row.retry_at,
        written: written
            .into_iter()
            .map(|r| TxtRecord {
                name: r.name,
                strings: r.strings,
            })
            .collect(),
        configured_at: row.configured_at,
    })
}
