//! The audit trail over the `audit_events` table: events are written inside
//! the transaction of the change they record, and read newest first.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _, Set,
};
use signet_domain::ports::AuditLog;
use signet_domain::{
    Action, Actor, ApiKeyId, AuditEvent, AuditId, AuditRecord, AuditTarget, DomainName, FleetName,
    KeyId, Origin, Outcome, Result, Selector, TenantId, Via,
};

use crate::connect::Storage;
use crate::entities::audit_event::{self, Column};
use crate::entities::stored_time;
use crate::errors::{corrupt, DbResultExt as _};

/// Appends an event of `tenant` inside the caller's transaction.
pub(crate) async fn record(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    event: AuditEvent,
) -> Result<()> {
    let AuditEvent {
        at,
        origin,
        action,
        target,
        outcome,
        fingerprint,
        detail,
    } = event;
    let row = audit_event::ActiveModel {
        tenant_id: Set(tenant.0),
        at: Set(stored_time(at)),
        actor_kind: Set(origin.actor.kind().to_owned()),
        actor_id: Set(origin.actor.id()),
        via: Set(origin.via.as_str().to_owned()),
        action: Set(action.as_str().to_owned()),
        target_domain: Set(target.domain.map(|d| d.as_str().to_owned())),
        target_selector: Set(target.selector.map(|s| s.as_str().to_owned())),
        target_key_id: Set(target.key_id.map(|k| k.0)),
        target_api_key_id: Set(target.api_key_id.map(|k| k.0)),
        target_fleet: Set(target.fleet.map(|f| f.as_str().to_owned())),
        request_id: Set(origin.request_id),
        ip: Set(origin.ip.map(|ip| ip.to_string())),
        outcome: Set(outcome.as_str().to_owned()),
        fingerprint: Set(fingerprint),
        detail: Set(detail),
        ..Default::default()
    };
    row.insert(txn).await.or_internal().map(drop)
}

#[async_trait]
impl AuditLog for Storage {
    async fn audit_events(
        &self,
        tenant: TenantId,
        action: Option<&str>,
        before: Option<AuditId>,
        limit: u64,
    ) -> Result<Vec<AuditRecord>> {
        let mut select = audit_event::Entity::find().filter(Column::TenantId.eq(tenant.0));
        if let Some(action) = action {
            select = select.filter(Column::Action.eq(action));
        }
        if let Some(before) = before {
            select = select.filter(Column::Id.lt(before.0));
        }
        let rows = select
            .order_by_desc(Column::Id)
            .limit(limit.min(i64::MAX as u64))
            .all(self.db())
            .await
            .or_internal()?;
        rows.into_iter().map(to_record).collect()
    }
}

fn to_record(row: audit_event::Model) -> Result<AuditRecord> {
    let what = format!("audit event {}", row.id);
    let bad = |e| corrupt(&what, e);
    let ip = row
        .ip
        .map(|ip| ip.parse())
        .transpose()
        .map_err(|e| corrupt(&what, e))?;
    let event = AuditEvent {
        at: row.at,
        origin: Origin {
            actor: Actor::parse(&row.actor_kind, row.actor_id.as_deref()).map_err(bad)?,
            via: Via::parse(&row.via).map_err(bad)?,
            request_id: row.request_id,
            ip,
        },
        action: Action::parse(&row.action).map_err(bad)?,
        target: AuditTarget {
            domain: row
                .target_domain
                .map(|d| DomainName::parse(&d))
                .transpose()
                .map_err(bad)?,
            selector: row
                .target_selector
                .map(|s| Selector::parse(&s))
                .transpose()
                .map_err(bad)?,
            key_id: row.target_key_id.map(KeyId),
            api_key_id: row.target_api_key_id.map(ApiKeyId),
            fleet: row
                .target_fleet
                .map(|f| FleetName::parse(&f))
                .transpose()
                .map_err(bad)?,
        },
        outcome: Outcome::parse(&row.outcome).map_err(bad)?,
        fingerprint: row.fingerprint,
        detail: row.detail,
    };
    Ok(AuditRecord {
        id: AuditId(row.id),
        tenant: TenantId(row.tenant_id),
        event,
    })
}
