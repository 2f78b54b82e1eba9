//! The core's `ServedKeys` over `dkim_keys` joined to the delegated rows of
//! `sending_domains` (those with a zone label): what Signet's DNS zone serves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, FromQueryResult, JoinType, PartialModelTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, RelationDef, Select,
};
use signet_domain::delegation::{ServedKey, ServedKeys, ZoneLabel, ZoneVersion};
use signet_domain::{KeyStage, Result, TenantId};

use crate::connect::Storage;
use crate::entities::{dkim_key, sending_domain};
use crate::errors::{corrupt, DbResultExt as _};
use crate::keys::{to_key, KeyRow};

#[async_trait]
impl ServedKeys for Storage {
    async fn served_keys(&self, tenant: Option<TenantId>) -> Result<Vec<ServedKey>> {
        let stages =
            [KeyStage::Pending, KeyStage::Active, KeyStage::Retiring].map(KeyStage::as_str);
        let mut select = delegated_keys().filter(dkim_key::Column::Stage.is_in(stages));
        if let Some(tenant) = tenant {
            select = select.filter(dkim_key::Column::TenantId.eq(tenant.0));
        }
        // Only what a record needs: the key's columns without its sealed
        // private half, and the label; a zone of 100,000 keys is read at
        // start, and every byte read is held at once.
        let rows = KeyRow::select_cols(select.select_only())
            .column(dkim_key::Column::TenantId)
            .column(sending_domain::Column::ZoneLabel)
            .order_by_asc(dkim_key::Column::TenantId)
            .order_by_asc(dkim_key::Column::Id)
            .into_model::<ServedRow>()
            .all(self.db())
            .await
            .or_internal()?;
        rows.into_iter()
            .map(|row| {
                let tenant = TenantId(row.tenant_id);
                let what = format!("domain {} of tenant {tenant}", row.key.signing_domain);
                Ok(ServedKey {
                    tenant,
                    label: ZoneLabel::parse(&row.zone_label).map_err(|e| corrupt(&what, e))?,
                    key: to_key(row.key)?,
                })
            })
            .collect()
    }

    async fn zone_versions(&self) -> Result<Vec<ZoneVersion>> {
        let rows: Vec<(i64, i64, Option<DateTime<Utc>>)> = delegated_keys()
            .select_only()
            .column(dkim_key::Column::TenantId)
            .expr(Expr::col((dkim_key::Entity, dkim_key::Column::Id)).count())
            .expr(Expr::col((dkim_key::Entity, dkim_key::Column::UpdatedAt)).max())
            .group_by(dkim_key::Column::TenantId)
            .into_tuple()
            .all(self.db())
            .await
            .or_internal()?;
        Ok(rows
            .into_iter()
            .map(|(tenant, keys, changed_at)| ZoneVersion {
                tenant: TenantId(tenant),
                keys: u64::try_from(keys).unwrap_or(0),
                changed_at,
            })
            .collect())
    }
}

/// A served key's row: the key, its tenant and its authority's label.
#[derive(FromQueryResult)]
struct ServedRow {
    #[sea_orm(nested)]
    key: KeyRow,
    tenant_id: i64,
    zone_label: String,
}

/// Keys whose signing domain is a delegated domain of the same tenant.
fn delegated_keys() -> Select<dkim_key::Entity> {
    dkim_key::Entity::find()
        .join(JoinType::InnerJoin, to_delegated_domain())
        .filter(sending_domain::Column::ZoneLabel.is_not_null())
}

/// A key's row in `sending_domains`: the domain it signs for.
fn to_delegated_domain() -> RelationDef {
    dkim_key::Entity::belongs_to(sending_domain::Entity)
        .from((dkim_key::Column::TenantId, dkim_key::Column::SigningDomain))
        .to((
            sending_domain::Column::TenantId,
            sending_domain::Column::Name,
        ))
        .into()
}
