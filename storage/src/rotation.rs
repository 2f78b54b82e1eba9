//! The core's `RotationStore`: rotation settings, the selectors rotations
//! issued, and the steps that change several keys in one transaction.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, EntityTrait as _, IntoActiveModel as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, Set,
};
use signet_domain::ports::{NewKey, RotationStore};
use signet_domain::{
    AlgorithmSet, AuditNote, DkimKey, DomainName, Entity, Error, KeyId, KeyStage, Result,
    RotationPolicy, RuleViolation, Selector, SelectorTemplate, Span, TenantId,
};

use crate::audit;
use crate::connect::Storage;
use crate::entities::stored_time;
use crate::entities::{dkim_key, rotation_selector, rotation_setting};
use crate::errors::{corrupt, DbResultExt as _};
use crate::keys::{clear_default, insert, lock_tenant, set_stage, to_key};

#[async_trait]
impl RotationStore for Storage {
    async fn rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<RotationPolicy>> {
        let row = rotation_setting::Entity::find_by_id((tenant.0, authority.as_str().to_owned()))
            .one(self.db())
            .await
            .or_internal()?;
        row.map(to_policy).transpose()
    }

    async fn set_rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        policy: &RotationPolicy,
        audit: &AuditNote,
    ) -> Result<()> {
        let row = rotation_setting::ActiveModel {
            tenant_id: Set(tenant.0),
            authority: Set(authority.as_str().to_owned()),
            enabled: Set(policy.enabled),
            interval_seconds: Set(policy.interval.map(Span::as_seconds)),
            retire_after_seconds: Set(policy.retire_after.as_seconds()),
            delete_after_seconds: Set(policy.delete_after.as_seconds()),
            algorithms: Set(policy.algorithms.to_string()),
            selector_template: Set(policy.selector_template.as_str().to_owned()),
            updated_at: Set(stored_time(audit.at)),
            interval_text: Set(policy.interval.map(|i| i.to_string())),
            retire_after_text: Set(Some(policy.retire_after.to_string())),
            delete_after_text: Set(Some(policy.delete_after.to_string())),
        };
        let upsert = OnConflict::columns([
            rotation_setting::Column::TenantId,
            rotation_setting::Column::Authority,
        ])
        .update_columns([
            rotation_setting::Column::Enabled,
            rotation_setting::Column::IntervalSeconds,
            rotation_setting::Column::RetireAfterSeconds,
            rotation_setting::Column::DeleteAfterSeconds,
            rotation_setting::Column::Algorithms,
            rotation_setting::Column::SelectorTemplate,
            rotation_setting::Column::UpdatedAt,
            rotation_setting::Column::IntervalText,
            rotation_setting::Column::RetireAfterText,
            rotation_setting::Column::DeleteAfterText,
        ])
        .to_owned();
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            rotation_setting::Entity::insert(row)
                .on_conflict(upsert)
                .exec(&*txn)
                .await
                .or_internal()?;
            let detail = describe(policy);
            audit::record(
                &*txn,
                tenant,
                audit.about_domain(authority).with_detail(detail),
            )
            .await
        }
        .await;
        txn.finish(work).await
    }

    async fn selector_used(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        selector: &Selector,
    ) -> Result<bool> {
        let issued = rotation_selector::Entity::find_by_id((
            tenant.0,
            authority.as_str().to_owned(),
            selector.folded(),
        ))
        .count(self.db())
        .await
        .or_internal()?;
        if issued > 0 {
            return Ok(true);
        }
        let keys = dkim_key::Entity::find()
            .filter(dkim_key::Column::TenantId.eq(tenant.0))
            .filter(dkim_key::Column::SigningDomain.eq(authority.as_str()))
            .filter(dkim_key::Column::SelectorFolded.eq(selector.folded()))
            .count(self.db())
            .await
            .or_internal()?;
        Ok(keys > 0)
    }

    async fn start_rotation(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        keys: Vec<NewKey>,
        audit: &AuditNote,
    ) -> Result<Vec<DkimKey>> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            // Under the tenant's lock, so of two rotations only one finds
            // no pending key.
            lock_tenant(&txn, tenant).await?;
            let waiting = dkim_key::Entity::find()
                .filter(dkim_key::Column::TenantId.eq(tenant.0))
                .filter(dkim_key::Column::SigningDomain.eq(authority.as_str()))
                .filter(dkim_key::Column::Stage.eq(KeyStage::Pending.as_str()))
                .one(&*txn)
                .await
                .or_internal()?;
            if let Some(row) = waiting {
                let name = to_key(row)?.dns_record().name;
                return Err(RuleViolation::PendingKeyWaits(name).into());
            }
            let mut made = Vec::new();
            for key in keys {
                let issued = rotation_selector::ActiveModel {
                    tenant_id: Set(tenant.0),
                    authority: Set(authority.as_str().to_owned()),
                    selector_folded: Set(key.selector.folded()),
                };
                // Issued once is enough: a delegated authority's pair
                // selectors are issued again on purpose, turn by turn. A
                // key still holding one is a conflict at the key's insert.
                let once = OnConflict::columns([
                    rotation_selector::Column::TenantId,
                    rotation_selector::Column::Authority,
                    rotation_selector::Column::SelectorFolded,
                ])
                .do_nothing()
                .to_owned();
                rotation_selector::Entity::insert(issued)
                    .on_conflict(once)
                    .exec_without_returning(&*txn)
                    .await
                    .or_internal()?;
                made.push(insert(&txn, self.keyring(), tenant, key, audit).await?);
            }
            Ok(made)
        }
        .await;
        txn.finish(work).await
    }

    async fn promote_key(&self, tenant: TenantId, id: KeyId, audit: &AuditNote) -> Result<DkimKey> {
        let txn = self.begin_write().await.or_internal()?;
        let work = async {
            lock_tenant(&txn, tenant).await?;
            let row = dkim_key::Entity::find_by_id((tenant.0, id.0))
                .one(&*txn)
                .await
                .or_internal()?
                .ok_or(Error::NotFound(Entity::Key))?;
            if row.stage != KeyStage::Pending.as_str() {
                // Promoted meanwhile (the re-check and a verify may race).
                return to_key(row);
            }
            let domain = dkim_key::Entity::find()
                .filter(dkim_key::Column::TenantId.eq(tenant.0))
                .filter(dkim_key::Column::SigningDomain.eq(row.signing_domain.as_str()))
                .filter(dkim_key::Column::Id.ne(id.0))
                .all(&*txn)
                .await
                .or_internal()?;
            let replaced: Vec<_> = domain
                .iter()
                .filter(|k| k.stage == KeyStage::Active.as_str() && k.algorithm == row.algorithm)
                .cloned()
                .collect();
            let takes_default = replaced.iter().any(|k| k.default_for_domain)
                || !domain.iter().any(|k| k.default_for_domain);
            for old in replaced {
                let mut old = old.into_active_model();
                old.active = Set(false);
                restage(
                    &txn,
                    tenant,
                    old,
                    KeyStage::Active,
                    KeyStage::Retiring,
                    audit,
                )
                .await?;
            }
            if takes_default {
                clear_default(&txn, tenant, &row.signing_domain, id).await?;
            }
            let mut new = row.into_active_model();
            new.active = Set(true);
            if takes_default {
                new.default_for_domain = Set(true);
            }
            restage(
                &txn,
                tenant,
                new,
                KeyStage::Pending,
                KeyStage::Active,
                audit,
            )
            .await
        }
        .await;
        txn.finish(work).await
    }

    async fn rotation_candidates(
        &self,
        after: Option<(TenantId, DomainName)>,
        limit: u64,
    ) -> Result<Vec<(TenantId, DomainName)>> {
        let limit = limit.min(i64::MAX as u64);
        let past = |tenant: dkim_key::Column, name: dkim_key::Column| match &after {
            Some((t, a)) => Condition::any().add(tenant.gt(t.0)).add(
                Condition::all()
                    .add(tenant.eq(t.0))
                    .add(name.gt(a.as_str())),
            ),
            None => Condition::all(),
        };
        let staged: Vec<(i64, String)> = dkim_key::Entity::find()
            .select_only()
            .column(dkim_key::Column::TenantId)
            .column(dkim_key::Column::SigningDomain)
            .distinct()
            .filter(dkim_key::Column::Stage.is_in([
                KeyStage::Pending.as_str(),
                KeyStage::Retiring.as_str(),
                KeyStage::Retired.as_str(),
            ]))
            .filter(past(
                dkim_key::Column::TenantId,
                dkim_key::Column::SigningDomain,
            ))
            .order_by_asc(dkim_key::Column::TenantId)
            .order_by_asc(dkim_key::Column::SigningDomain)
            .limit(limit)
            .into_tuple()
            .all(self.db())
            .await
            .or_internal()?;
        let mut enabled = rotation_setting::Entity::find()
            .select_only()
            .column(rotation_setting::Column::TenantId)
            .column(rotation_setting::Column::Authority)
            .filter(rotation_setting::Column::Enabled.eq(true));
        if let Some((t, a)) = &after {
            enabled = enabled.filter(
                Condition::any()
                    .add(rotation_setting::Column::TenantId.gt(t.0))
                    .add(
                        Condition::all()
                            .add(rotation_setting::Column::TenantId.eq(t.0))
                            .add(rotation_setting::Column::Authority.gt(a.as_str())),
                    ),
            );
        }
        let enabled: Vec<(i64, String)> = enabled
            .order_by_asc(rotation_setting::Column::TenantId)
            .order_by_asc(rotation_setting::Column::Authority)
            .limit(limit)
            .into_tuple()
            .all(self.db())
            .await
            .or_internal()?;
        let mut all: Vec<(i64, String)> = staged.into_iter().chain(enabled).collect();
        all.sort();
        all.dedup();
        all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        all.into_iter()
            .map(|(tenant, name)| {
                let name = DomainName::parse(&name).map_err(|e| corrupt("authority", e))?;
                Ok((TenantId(tenant), name))
            })
            .collect()
    }
}

/// Moves a key from one stage to the next and records the note about it.
async fn restage(
    txn: &sea_orm::DatabaseTransaction,
    tenant: TenantId,
    mut row: dkim_key::ActiveModel,
    from: KeyStage,
    to: KeyStage,
    note: &AuditNote,
) -> Result<DkimKey> {
    set_stage(&mut row, to, note.at);
    row.updated_at = Set(stored_time(note.at));
    let key = to_key(row.update(txn).await.or_internal()?)?;
    let event = note
        .about_key(&key)
        .with_detail(format!("stage {from} -> {to}"));
    audit::record(txn, tenant, event).await?;
    Ok(key)
}

fn to_policy(row: rotation_setting::Model) -> Result<RotationPolicy> {
    let what = format!("rotation settings of {}", row.authority);
    Ok(RotationPolicy {
        enabled: row.enabled,
        interval: row
            .interval_seconds
            .map(|seconds| as_written(seconds, row.interval_text.as_deref())),
        retire_after: as_written(row.retire_after_seconds, row.retire_after_text.as_deref()),
        delete_after: as_written(row.delete_after_seconds, row.delete_after_text.as_deref()),
        algorithms: AlgorithmSet::parse(&row.algorithms).map_err(|e| corrupt(&what, e))?,
        selector_template: SelectorTemplate::parse(&row.selector_template)
            .map_err(|e| corrupt(&what, e))?,
    })
}

/// A stored span, spelt as the client wrote it when that spelling was kept
/// and still names the same length; otherwise in the largest unit.
fn as_written(seconds: i64, text: Option<&str>) -> Span {
    text.and_then(|text| Span::parse(text).ok())
        .filter(|span| span.as_seconds() == seconds)
        .unwrap_or_else(|| Span::seconds(seconds))
}

/// The settings, for the audit trail.
fn describe(policy: &RotationPolicy) -> String {
    let interval = policy
        .interval
        .map_or_else(|| "none".to_owned(), |i| i.to_string());
    format!(
        "enabled={} interval={interval} retire_after={} delete_after={} algorithms={} selector_template={}",
        policy.enabled,
        policy.retire_after,
        policy.delete_after,
        policy.algorithms,
        policy.selector_template.as_str()
    )
}
