//! Decorators that announce every change a fleet's feed can see: any write
//! to a tenant's keys (through the key store or a rotation's steps), and a
//! fleet's revocation. A new port that writes keys needs one too. The announcement
//! ([`TenantChanges`]) reaches this node's feed cache at once and the other
//! nodes' through the shared channel. It is made whether the write
//! succeeded or not: a write that timed out may still have committed.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditNote;
use crate::crypto::PrivateKey;
use crate::dns::DnsCheck;
use crate::error::Result;
use crate::fleet::{FeedKey, Fleet, FleetAccess, FleetDomains, FleetName, FleetTokenHash};
use crate::key::{DeleteRule, DkimKey, DnsRecord, KeyFilter, KeyId, KeyPage, KeyQuery};
use crate::names::{DomainName, Selector};
use crate::ports::{FleetStore, KeyChange, KeyStore, NewKey, RecordedCheck, RotationStore};
use crate::rotation::RotationPolicy;
use crate::shared_state::TenantChanges;
use crate::tenant::TenantId;

/// A key store whose writes announce the tenant as changed.
pub struct AnnouncedKeys {
    inner: Arc<dyn KeyStore>,
    changes: Arc<dyn TenantChanges>,
}

impl AnnouncedKeys {
    /// Announces `inner`'s writes on `changes`.
    pub fn new(inner: Arc<dyn KeyStore>, changes: Arc<dyn TenantChanges>) -> Self {
        Self { inner, changes }
    }
}

#[async_trait]
impl KeyStore for AnnouncedKeys {
    async fn insert_key(
        &self,
        tenant: TenantId,
        key: NewKey,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        let inserted = self.inner.insert_key(tenant, key, audit).await;
        self.changes.publish(tenant).await;
        inserted
    }

    async fn get_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<DkimKey>> {
        self.inner.get_key(tenant, id).await
    }

    async fn find_key(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        selector: &Selector,
    ) -> Result<Option<DkimKey>> {
        self.inner.find_key(tenant, domain, selector).await
    }

    async fn list_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<Vec<DkimKey>> {
        self.inner.list_keys(tenant, query).await
    }

    async fn page_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<KeyPage> {
        self.inner.page_keys(tenant, query).await
    }

    async fn count_keys(&self, tenant: TenantId, filter: &KeyFilter) -> Result<u64> {
        self.inner.count_keys(tenant, filter).await
    }

    async fn update_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        change: KeyChange,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        let updated = self.inner.update_key(tenant, id, change, audit).await;
        self.changes.publish(tenant).await;
        updated
    }

    async fn delete_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        rule: DeleteRule,
        audit: &AuditNote,
    ) -> Result<bool> {
        let deleted = self.inner.delete_key(tenant, id, rule, audit).await;
        self.changes.publish(tenant).await;
        deleted
    }

    /// Announced only when the key's DNS status moved (or the outcome is
    /// unknown): a stale or confirming lookup changes nothing a fleet sees.
    async fn record_dns_check(
        &self,
        tenant: TenantId,
        id: KeyId,
        looked_up: &DnsRecord,
        check: DnsCheck,
        now: DateTime<Utc>,
        audit: &AuditNote,
    ) -> Result<Option<RecordedCheck>> {
        let recorded = self
            .inner
            .record_dns_check(tenant, id, looked_up, check, now, audit)
            .await;
        if !matches!(
            recorded,
            Ok(None) | Ok(Some(RecordedCheck { changed: false, .. }))
        ) {
            self.changes.publish(tenant).await;
        }
        recorded
    }

    async fn delete_domain_keys(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        audit: &AuditNote,
    ) -> Result<u64> {
        let deleted = self.inner.delete_domain_keys(tenant, domain, audit).await;
        self.changes.publish(tenant).await;
        deleted
    }

    async fn private_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<PrivateKey>> {
        self.inner.private_key(tenant, id).await
    }

    async fn keys_due_for_check(
        &self,
        checked_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(TenantId, KeyId)>> {
        self.inner.keys_due_for_check(checked_before, limit).await
    }
}

/// A fleet store whose revocations announce the tenant as changed, so every
/// node refuses the token at once.
pub struct AnnouncedFleets {
    inner: Arc<dyn FleetStore>,
    changes: Arc<dyn TenantChanges>,
}

impl AnnouncedFleets {
    /// Announces `inner`'s revocations on `changes`.
    pub fn new(inner: Arc<dyn FleetStore>, changes: Arc<dyn TenantChanges>) -> Self {
        Self { inner, changes }
    }
}

#[async_trait]
impl FleetStore for AnnouncedFleets {
    /// A new fleet needs no announcement: nobody could present its fresh
    /// token before now.
    async fn create_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        domains: &FleetDomains,
        token: &FleetTokenHash,
        audit: &AuditNote,
    ) -> Result<Fleet> {
        self.inner
            .create_fleet(tenant, name, domains, token, audit)
            .await
    }

    async fn list_fleets(&self, tenant: TenantId) -> Result<Vec<Fleet>> {
        self.inner.list_fleets(tenant).await
    }

    async fn revoke_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        audit: &AuditNote,
    ) -> Result<bool> {
        let revoked = self.inner.revoke_fleet(tenant, name, audit).await;
        self.changes.publish(tenant).await;
        revoked
    }

    async fn fleet_by_token(&self, token: &FleetTokenHash) -> Result<Option<FleetAccess>> {
        self.inner.fleet_by_token(token).await
    }

    async fn feed_keys(&self, tenant: TenantId, domains: &FleetDomains) -> Result<Vec<FeedKey>> {
        self.inner.feed_keys(tenant, domains).await
    }

    async fn record_fleet_read(
        &self,
        tenant: TenantId,
        fleet: &Fleet,
        etag: &str,
        audit: &AuditNote,
    ) -> Result<bool> {
        self.inner
            .record_fleet_read(tenant, fleet, etag, audit)
            .await
    }
}

/// A rotation store whose steps that change keys (a rotation's new pending
/// keys, a promotion) announce the tenant as changed.
pub struct AnnouncedRotations {
    inner: Arc<dyn RotationStore>,
    changes: Arc<dyn TenantChanges>,
}

impl AnnouncedRotations {
    /// Announces `inner`'s key changes on `changes`.
    pub fn new(inner: Arc<dyn RotationStore>, changes: Arc<dyn TenantChanges>) -> Self {
        Self { inner, changes }
    }
}

#[async_trait]
impl RotationStore for AnnouncedRotations {
    async fn rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<RotationPolicy>> {
        self.inner.rotation_policy(tenant, authority).await
    }

    /// Settings change no key: nothing to announce.
    async fn set_rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        policy: &RotationPolicy,
        audit: &AuditNote,
    ) -> Result<()> {
        self.inner
            .set_rotation_policy(tenant, authority, policy, audit)
            .await
    }

    async fn selector_used(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        selector: &Selector,
    ) -> Result<bool> {
        self.inner.selector_used(tenant, authority, selector).await
    }

    async fn start_rotation(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        keys: Vec<NewKey>,
        audit: &AuditNote,
    ) -> Result<Vec<DkimKey>> {
        let started = self
            .inner
            .start_rotation(tenant, authority, keys, audit)
            .await;
        self.changes.publish(tenant).await;
        started
    }

    async fn promote_key(&self, tenant: TenantId, id: KeyId, audit: &AuditNote) -> Result<DkimKey> {
        let promoted = self.inner.promote_key(tenant, id, audit).await;
        self.changes.publish(tenant).await;
        promoted
    }

    async fn rotation_candidates(
        &self,
        after: Option<(TenantId, DomainName)>,
        limit: u64,
    ) -> Result<Vec<(TenantId, DomainName)>> {
        self.inner.rotation_candidates(after, limit).await
    }
}
