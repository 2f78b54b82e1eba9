//! Key writes, each inside a caller's write transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait as _, DatabaseTransaction,
    EntityTrait as _, IntoActiveModel as _, PaginatorTrait as _, QueryFilter as _, Set,
};
use signet_domain::ports::{KeyChange, NewKey, RecordedCheck};
use signet_domain::{AuditNote, KeyStage};
use signet_domain::{
    DeleteRule, DkimKey, DnsCheck, DnsRecord, DomainName, Entity, Error, KeyId, KeySpec, Result,
    RuleViolation, TenantId,
};

use super::rows::{seal, seen_json, to_key};
use crate::audit;
use crate::entities::{dkim_key, stored_time, tenant};
use crate::errors::DbResultExt as _;
use crate::sealing::Keyring;

/// Inserts a key under the tenant's next id, made through the note's front
/// end, and records the note about it.
pub(crate) async fn insert(
    txn: &DatabaseTransaction,
    keyring: &Keyring,
    tenant: TenantId,
    key: NewKey,
    note: &AuditNote,
) -> Result<DkimKey> {
    let id = allocate_id(txn, tenant).await?;
    let sealed = seal(keyring, tenant, id, &key.private_key)?;
    let domain = key.signing_domain.as_str();
    if key.default_for_domain {
        clear_default(txn, tenant, domain, id).await?;
    }
    let now = stored_time(key.now);
    let row = dkim_key::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(id.0),
        signing_domain: Set(domain.to_owned()),
        selector: Set(key.selector.as_str().to_owned()),
        selector_folded: Set(key.selector.folded()),
        bits: Set(bits(key.private_key.spec())),
        public_key: Set(key.private_key.public_key().0),
        private_key_sealed: Set(sealed.bytes),
        private_key_kid: Set(sealed.kid),
        active: Set(key.active),
        default_for_domain: Set(key.default_for_domain),
        dns_status: Set(signet_domain::DnsStatus::Unknown.as_str().to_owned()),
        dns_seen: Set("[]".to_owned()),
        dns_checked_at: Set(None),
        created_via: Set(Some(note.origin.via.as_str().to_owned())),
        algorithm: Set(key.private_key.algorithm().as_str().to_owned()),
        stage: Set(key.stage.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        activated_at: Set((key.stage == KeyStage::Active).then_some(now)),
        retiring_at: Set(None),
        retired_at: Set(None),
    };
    let key = to_key(row.insert(txn).await.or_conflict(Entity::Key)?)?;
    audit::record(txn, tenant, note.about_key(&key)).await?;
    Ok(key)
}

/// Applies a change to a key, keeping its final domain's default unique,
/// and records the note about it.
pub(super) async fn update(
    txn: &DatabaseTransaction,
    keyring: &Keyring,
    tenant: TenantId,
    id: KeyId,
    change: KeyChange,
    note: &AuditNote,
) -> Result<DkimKey> {
    if !lock_tenant(txn, tenant).await? {
        return Err(Error::NotFound(Entity::Key));
    }
    let current = dkim_key::Entity::find_by_id((tenant.0, id.0))
        .one(txn)
        .await
        .or_internal()?
        .ok_or(Error::NotFound(Entity::Key))?;
    if change
        .only_in
        .is_some_and(|stage| stage.as_str() != current.stage)
    {
        return to_key(current);
    }
    let domain = match &change.signing_domain {
        Some(d) => d.as_str().to_owned(),
        None => current.signing_domain.clone(),
    };
    let default = change
        .default_for_domain
        .unwrap_or(current.default_for_domain);
    if default {
        clear_default(txn, tenant, &domain, id).await?;
    }
    let current_stage = current.stage.clone();
    let mut row = current.into_active_model();
    row.signing_domain = Set(domain);
    row.default_for_domain = Set(default);
    if let Some(selector) = change.selector {
        row.selector = Set(selector.as_str().to_owned());
        row.selector_folded = Set(selector.folded());
    }
    if let Some(key) = change.private_key {
        let sealed = seal(keyring, tenant, id, &key)?;
        row.bits = Set(bits(key.spec()));
        row.algorithm = Set(key.algorithm().as_str().to_owned());
        row.public_key = Set(key.public_key().0);
        row.private_key_sealed = Set(sealed.bytes);
        row.private_key_kid = Set(sealed.kid);
    }
    if let Some(active) = change.active {
        row.active = Set(active);
    }
    if let Some(dns) = change.dns {
        row.dns_status = Set(dns.status.as_str().to_owned());
        row.dns_seen = Set(seen_json(&dns));
        row.dns_checked_at = Set(dns.checked_at.map(stored_time));
    }
    let stage_change = change.stage.filter(|s| s.as_str() != current_stage);
    if let Some(stage) = stage_change {
        set_stage(&mut row, stage, change.now);
    }
    row.updated_at = Set(stored_time(change.now));
    let key = to_key(row.update(txn).await.or_conflict(Entity::Key)?)?;
    let mut event = note.about_key(&key);
    if let Some(stage) = stage_change {
        event = event.with_detail(format!("stage {current_stage} -> {stage}"));
    }
    audit::record(txn, tenant, event).await?;
    Ok(key)
}

/// Moves a row to `stage` at `now`, stamping the stage's time.
pub(crate) fn set_stage(row: &mut dkim_key::ActiveModel, stage: KeyStage, now: DateTime<Utc>) {
    let now = Some(stored_time(now));
    row.stage = Set(stage.as_str().to_owned());
    match stage {
        KeyStage::Pending => {}
        KeyStage::Active => row.activated_at = Set(now),
        KeyStage::Retiring => row.retiring_at = Set(now),
        KeyStage::Retired => row.retired_at = Set(now),
    }
}

/// Stores a DNS result if the key's record is still the one looked up. The
/// tenant's row lock orders it with renames, so a stale result never lands.
/// A change of status is recorded as the note says; a lookup that confirms
/// the status is not.
pub(super) async fn record_dns_check(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    id: KeyId,
    looked_up: &DnsRecord,
    check: DnsCheck,
    now: DateTime<Utc>,
    note: &AuditNote,
) -> Result<Option<RecordedCheck>> {
    lock_tenant(txn, tenant).await?;
    let Some(current) = dkim_key::Entity::find_by_id((tenant.0, id.0))
        .one(txn)
        .await
        .or_internal()?
    else {
        return Ok(None);
    };
    let before = to_key(current.clone())?;
    if before.dns_record() != *looked_up {
        return Ok(None);
    }
    let mut row = current.into_active_model();
    row.dns_status = Set(check.status.as_str().to_owned());
    row.dns_seen = Set(seen_json(&check));
    row.dns_checked_at = Set(check.checked_at.map(stored_time));
    // A lookup that confirms the status changes nothing a client acts on:
    // `updated_at` (and with it the fleet feed's ETag) stays.
    let changed = check.status != before.dns.status;
    if changed {
        row.updated_at = Set(stored_time(now));
    }
    let key = to_key(row.update(txn).await.or_internal()?)?;
    if changed {
        let detail = format!(
            "dns {} -> {}",
            before.dns.status.as_str(),
            key.dns.status.as_str()
        );
        audit::record(txn, tenant, note.about_key(&key).with_detail(detail)).await?;
    }
    Ok(Some(RecordedCheck { key, changed }))
}

/// Takes the tenant's next key id and counts the key the caller inserts. The
/// update locks the tenant's row, so key writes of one tenant run one after
/// another; a failed insert rolls the count back with it.
pub(crate) async fn allocate_id(txn: &DatabaseTransaction, tenant: TenantId) -> Result<KeyId> {
    let next = tenant::Column::NextKeyId;
    let count = tenant::Column::KeyCount;
    let statement = Query::update()
        .table(tenant::Entity)
        .value(next, Expr::col(next).add(1))
        .value(count, Expr::col(count).add(1))
        .and_where(tenant::Column::Id.eq(tenant.0))
        .returning_col(next)
        .to_owned();
    let row = txn
        .query_one(txn.get_database_backend().build(&statement))
        .await
        .or_internal()?
        .ok_or(Error::NotFound(Entity::Tenant))?;
    let next: i64 = row.try_get("", "next_key_id").or_internal()?;
    Ok(KeyId(next - 1))
}

/// Deletes a key. Under [`DeleteRule::KeepOneActive`] an active key goes
/// only if another key of its signing domain stays active, under
/// [`DeleteRule::OnlyIn`] only a key still in that stage; the tenant's row
/// lock makes the check and the delete one step.
pub(super) async fn delete(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    id: KeyId,
    rule: DeleteRule,
    note: &AuditNote,
) -> Result<bool> {
    lock_tenant(txn, tenant).await?;
    let Some(row) = dkim_key::Entity::find_by_id((tenant.0, id.0))
        .one(txn)
        .await
        .or_internal()?
    else {
        return Ok(false);
    };
    if let DeleteRule::OnlyIn(stage) = rule {
        if stage.as_str() != row.stage {
            return Ok(false);
        }
    }
    if rule == DeleteRule::KeepOneActive && row.active {
        let other_active = dkim_key::Entity::find()
            .filter(dkim_key::Column::TenantId.eq(tenant.0))
            .filter(dkim_key::Column::SigningDomain.eq(row.signing_domain.as_str()))
            .filter(dkim_key::Column::Active.eq(true))
            .filter(dkim_key::Column::Id.ne(id.0))
            .count(txn)
            .await
            .or_internal()?;
        if other_active == 0 {
            return Err(RuleViolation::LastActiveKey.into());
        }
    }
    let key = to_key(row)?;
    let deleted = dkim_key::Entity::delete_by_id((tenant.0, id.0))
        .exec(txn)
        .await
        .or_internal()?;
    if deleted.rows_affected == 0 {
        return Ok(false);
    }
    uncount(txn, tenant, 1).await?;
    audit::record(txn, tenant, note.about_key(&key)).await?;
    Ok(true)
}

/// Deletes every key of a signing domain, recording the note about each.
pub(super) async fn delete_domain_keys(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    domain: &DomainName,
    note: &AuditNote,
) -> Result<u64> {
    lock_tenant(txn, tenant).await?;
    let rows = dkim_key::Entity::find()
        .filter(dkim_key::Column::TenantId.eq(tenant.0))
        .filter(dkim_key::Column::SigningDomain.eq(domain.as_str()))
        .all(txn)
        .await
        .or_internal()?;
    let mut deleted = 0;
    for row in rows {
        let key = to_key(row)?;
        let gone = dkim_key::Entity::delete_by_id((tenant.0, key.id.0))
            .exec(txn)
            .await
            .or_internal()?;
        if gone.rows_affected > 0 {
            audit::record(txn, tenant, note.about_key(&key)).await?;
            deleted += 1;
        }
    }
    uncount(txn, tenant, deleted).await?;
    Ok(deleted)
}

/// Takes `deleted` keys off the tenant's count, in the transaction that
/// deleted them.
async fn uncount(txn: &DatabaseTransaction, tenant: TenantId, deleted: u64) -> Result<()> {
    if deleted == 0 {
        return Ok(());
    }
    let count = tenant::Column::KeyCount;
    // A delete removes rows it has read, far fewer than `i64::MAX`.
    let deleted = i64::try_from(deleted).unwrap_or(i64::MAX);
    tenant::Entity::update_many()
        .col_expr(count, Expr::col(count).sub(deleted))
        .filter(tenant::Column::Id.eq(tenant.0))
        .exec(txn)
        .await
        .or_internal()?;
    Ok(())
}

/// Locks the tenant's row, as [`allocate_id`] does, without taking an id;
/// false if there is no such tenant. On SQLite it also makes the transaction
/// a writer from its first statement.
pub(crate) async fn lock_tenant(txn: &DatabaseTransaction, tenant: TenantId) -> Result<bool> {
    let next = tenant::Column::NextKeyId;
    let result = tenant::Entity::update_many()
        .col_expr(next, Expr::col(next).into())
        .filter(tenant::Column::Id.eq(tenant.0))
        .exec(txn)
        .await
        .or_internal()?;
    Ok(result.rows_affected > 0)
}

/// Clears the default flag of the domain's keys other than `keep`.
pub(crate) async fn clear_default(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    domain: &str,
    keep: KeyId,
) -> Result<()> {
    dkim_key::Entity::update_many()
        .col_expr(dkim_key::Column::DefaultForDomain, Expr::value(false))
        .filter(dkim_key::Column::TenantId.eq(tenant.0))
        .filter(dkim_key::Column::SigningDomain.eq(domain))
        .filter(dkim_key::Column::DefaultForDomain.eq(true))
        .filter(dkim_key::Column::Id.ne(keep.0))
        .exec(txn)
        .await
        .or_internal()?;
    Ok(())
}

fn bits(spec: KeySpec) -> i32 {
    i32::try_from(spec.bits()).expect("key sizes stop at 8192 bits")
}
