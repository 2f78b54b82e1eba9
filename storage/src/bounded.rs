//! The store ports with a deadline on every call. The pool's acquire timeout
//! and PostgreSQL's `statement_timeout` bound waits the database knows of;
//! only a client-side deadline bounds a network that stops answering, where
//! no error ever arrives.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use signet_domain::ports::{
    AuditLog, DomainStore, FleetStore, KeyChange, KeyStore, NewKey, PublisherStore, RecordedCheck,
    RotationStore, TenantStore,
};
use signet_domain::tenant::{ApiKeyHash, ApiKeyInfo, ApiKeyLabel};
use signet_domain::{
    ApiKeyId, AuditId, AuditNote, AuditRecord, DeleteRule, DkimKey, DnsCheck, DnsRecord,
    DomainName, DomainPage, DomainQuery, Error, FeedKey, Fleet, FleetAccess, FleetDomains,
    FleetName, FleetTokenHash, KeyFilter, KeyId, KeyPage, KeyQuery, PrivateKey, PublishOutcome,
    Publisher, PublisherConfig, Result, RotationPolicy, Selector, SendingDomain, Tenant, TenantId,
    TenantName, TenantSettings,
};

/// Wraps a store so that each call answers within `limit`, or fails with
/// `Unavailable` (a 503 in either dialect). A call cut short drops its
/// transaction, which rolls back: a write is applied whole or not at all,
/// though when the deadline falls during the commit itself the caller cannot
/// know which.
#[derive(Debug, Clone)]
pub struct Bounded<S> {
    pub(crate) inner: S,
    limit: Duration,
}

impl<S> Bounded<S> {
    /// Bounds every call of `inner` by `limit`.
    pub fn new(inner: S, limit: Duration) -> Self {
        Self { inner, limit }
    }

    pub(crate) async fn within<T>(
        &self,
        call: impl Future<Output = Result<T>> + Send,
    ) -> Result<T> {
        match tokio::time::timeout(self.limit, call).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(limit = ?self.limit, "database call timed out");
                Err(Error::unavailable(format!(
                    "database did not answer within {:?}",
                    self.limit
                )))
            }
        }
    }
}

#[async_trait]
impl<S: KeyStore> KeyStore for Bounded<S> {
    async fn insert_key(
        &self,
        tenant: TenantId,
        key: NewKey,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        self.within(self.inner.insert_key(tenant, key, audit)).await
    }

    async fn get_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<DkimKey>> {
        self.within(self.inner.get_key(tenant, id)).await
    }

    async fn find_key(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        selector: &Selector,
    ) -> Result<Option<DkimKey>> {
        self.within(self.inner.find_key(tenant, domain, selector))
            .await
    }

    async fn list_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<Vec<DkimKey>> {
        self.within(self.inner.list_keys(tenant, query)).await
    }

    async fn page_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<KeyPage> {
        self.within(self.inner.page_keys(tenant, query)).await
    }

    async fn count_keys(&self, tenant: TenantId, filter: &KeyFilter) -> Result<u64> {
        self.within(self.inner.count_keys(tenant, filter)).await
    }

    async fn update_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        change: KeyChange,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        self.within(self.inner.update_key(tenant, id, change, audit))
            .await
    }

    async fn delete_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        rule: DeleteRule,
        audit: &AuditNote,
    ) -> Result<bool> {
        self.within(self.inner.delete_key(tenant, id, rule, audit))
            .await
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
        self.within(
            self.inner
                .record_dns_check(tenant, id, looked_up, check, now, audit),
        )
        .await
    }

    async fn delete_domain_keys(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        audit: &AuditNote,
    ) -> Result<u64> {
        self.within(self.inner.delete_domain_keys(tenant, domain, audit))
            .await
    }

    async fn private_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<PrivateKey>> {
        self.within(self.inner.private_key(tenant, id)).await
    }

    async fn keys_due_for_check(
        &self,
        checked_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(TenantId, KeyId)>> {
        self.within(self.inner.keys_due_for_check(checked_before, limit))
            .await
    }
}

#[async_trait]
impl<S: DomainStore> DomainStore for Bounded<S> {
    async fn insert_domain(
        &self,
        tenant: TenantId,
        domain: &SendingDomain,
        audit: &AuditNote,
    ) -> Result<()> {
        self.within(self.inner.insert_domain(tenant, domain, audit))
            .await
    }

    async fn get_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
    ) -> Result<Option<SendingDomain>> {
        self.within(self.inner.get_domain(tenant, name)).await
    }

    async fn find_domains(&self, tenant: TenantId, query: &DomainQuery) -> Result<DomainPage> {
        self.within(self.inner.find_domains(tenant, query)).await
    }

    async fn set_authority(
        &self,
        tenant: TenantId,
        name: &DomainName,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<()> {
        self.within(self.inner.set_authority(tenant, name, authority, audit))
            .await
    }

    async fn reset_delegations(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<()> {
        self.within(self.inner.reset_delegations(tenant, authority, audit))
            .await
    }

    async fn delete_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
        audit: &AuditNote,
    ) -> Result<bool> {
        self.within(self.inner.delete_domain(tenant, name, audit))
            .await
    }
}

#[async_trait]
impl<S: TenantStore> TenantStore for Bounded<S> {
    async fn create_tenant(&self, name: &TenantName, audit: &AuditNote) -> Result<Tenant> {
        self.within(self.inner.create_tenant(name, audit)).await
    }

    async fn find_tenant(&self, name: &TenantName) -> Result<Option<Tenant>> {
        self.within(self.inner.find_tenant(name)).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.within(self.inner.list_tenants()).await
    }

    async fn update_settings(
        &self,
        tenant: TenantId,
        settings: TenantSettings,
        audit: &AuditNote,
    ) -> Result<Tenant> {
        self.within(self.inner.update_settings(tenant, settings, audit))
            .await
    }

    async fn add_api_key(
        &self,
        tenant: TenantId,
        hash: &ApiKeyHash,
        label: Option<&ApiKeyLabel>,
        audit: &AuditNote,
    ) -> Result<ApiKeyId> {
        self.within(self.inner.add_api_key(tenant, hash, label, audit))
            .await
    }

    async fn touch_api_key(&self, hash: &ApiKeyHash, now: DateTime<Utc>) -> Result<()> {
        self.within(self.inner.touch_api_key(hash, now)).await
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyInfo>> {
        self.within(self.inner.list_api_keys(tenant)).await
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        audit: &AuditNote,
    ) -> Result<bool> {
        self.within(self.inner.revoke_api_key(tenant, id, audit))
            .await
    }

    async fn tenant_by_api_key(&self, hash: &ApiKeyHash) -> Result<Option<(Tenant, ApiKeyId)>> {
        self.within(self.inner.tenant_by_api_key(hash)).await
    }

    async fn ping(&self) -> Result<()> {
        self.within(self.inner.ping()).await
    }
}

#[async_trait]
impl<S: AuditLog> AuditLog for Bounded<S> {
    async fn audit_events(
        &self,
        tenant: TenantId,
        action: Option<&str>,
        before: Option<AuditId>,
        limit: u64,
    ) -> Result<Vec<AuditRecord>> {
        self.within(self.inner.audit_events(tenant, action, before, limit))
            .await
    }
}

#[async_trait]
impl<S: RotationStore> RotationStore for Bounded<S> {
    async fn rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<RotationPolicy>> {
        self.within(self.inner.rotation_policy(tenant, authority))
            .await
    }

    async fn set_rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        policy: &RotationPolicy,
        audit: &AuditNote,
    ) -> Result<()> {
        self.within(
            self.inner
                .set_rotation_policy(tenant, authority, policy, audit),
        )
        .await
    }

    async fn selector_used(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        selector: &Selector,
    ) -> Result<bool> {
        self.within(self.inner.selector_used(tenant, authority, selector))
            .await
    }

    async fn start_rotation(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        keys: Vec<NewKey>,
        audit: &AuditNote,
    ) -> Result<Vec<DkimKey>> {
        self.within(self.inner.start_rotation(tenant, authority, keys, audit))
            .await
    }

    async fn promote_key(&self, tenant: TenantId, id: KeyId, audit: &AuditNote) -> Result<DkimKey> {
        self.within(self.inner.promote_key(tenant, id, audit)).await
    }

    async fn rotation_candidates(
        &self,
        after: Option<(TenantId, DomainName)>,
        limit: u64,
    ) -> Result<Vec<(TenantId, DomainName)>> {
        self.within(self.inner.rotation_candidates(after, limit))
            .await
    }
}

#[async_trait]
impl<S: FleetStore> FleetStore for Bounded<S> {
    async fn create_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        domains: &FleetDomains,
        token: &FleetTokenHash,
        audit: &AuditNote,
    ) -> Result<Fleet> {
        self.within(self.inner.create_fleet(tenant, name, domains, token, audit))
            .await
    }

    async fn list_fleets(&self, tenant: TenantId) -> Result<Vec<Fleet>> {
        self.within(self.inner.list_fleets(tenant)).await
    }

    async fn revoke_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        audit: &AuditNote,
    ) -> Result<bool> {
        self.within(self.inner.revoke_fleet(tenant, name, audit))
            .await
    }

    async fn fleet_by_token(&self, token: &FleetTokenHash) -> Result<Option<FleetAccess>> {
        self.within(self.inner.fleet_by_token(token)).await
    }

    async fn feed_keys(&self, tenant: TenantId, domains: &FleetDomains) -> Result<Vec<FeedKey>> {
        self.within(self.inner.feed_keys(tenant, domains)).await
    }

    async fn record_fleet_read(
        &self,
        tenant: TenantId,
        fleet: &Fleet,
        etag: &str,
        audit: &AuditNote,
    ) -> Result<bool> {
        self.within(self.inner.record_fleet_read(tenant, fleet, etag, audit))
            .await
    }
}

#[async_trait]
impl<S: PublisherStore> PublisherStore for Bounded<S> {
    async fn set_publisher(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        config: &PublisherConfig,
        audit: &AuditNote,
    ) -> Result<Publisher> {
        self.within(self.inner.set_publisher(tenant, authority, config, audit))
            .await
    }

    async fn publisher(&self, tenant: TenantId, name: &DomainName) -> Result<Option<Publisher>> {
        self.within(self.inner.publisher(tenant, name)).await
    }

    async fn delete_publisher(
        &self,
        tenant: TenantId,
        name: &DomainName,
        audit: &AuditNote,
    ) -> Result<bool> {
        self.within(self.inner.delete_publisher(tenant, name, audit))
            .await
    }

    async fn publisher_authorities(
        &self,
        after: Option<(TenantId, DomainName)>,
        limit: u64,
    ) -> Result<Vec<(TenantId, DomainName)>> {
        self.within(self.inner.publisher_authorities(after, limit))
            .await
    }

    async fn record_publish(
        &self,
        tenant: TenantId,
        name: &DomainName,
        configured_at: DateTime<Utc>,
        outcome: &PublishOutcome,
        audit: Option<&AuditNote>,
    ) -> Result<bool> {
        let call = self
            .inner
            .record_publish(tenant, name, configured_at, outcome, audit);
        self.within(call).await
    }
}
