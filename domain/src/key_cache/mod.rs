//! A per-node read model of each tenant's keys: a [`KeyStore`] whose reads
//! are answered from memory, from a snapshot of all of the tenant's keys
//! (never their private halves, which always come from the store).
//!
//! Staleness is bounded as for the other caches, and by a version check:
//! - every write through this store (whether it succeeded or not: a
//!   timed-out write may have committed) drops the tenant's snapshot before
//!   it returns, so this node reads its own writes;
//! - as a [`TenantChangeListener`], it drops the tenant on announcements:
//!   this node's rotation steps at once, other nodes' changes over the
//!   shared channel;
//! - every change to a tenant's keys moves its key version ([`KeyVersions`],
//!   database triggers), and a sweep ([`CachedKeys::sweep`]) compares the
//!   versions of every held tenant in one statement, dropping the changed
//!   ones. A snapshot whose version was not confirmed within
//!   [`KeyCacheSettings::max_unverified`] (the sweep failed or fell behind)
//!   is confirmed by the read itself before it is served. So a change made
//!   anywhere, announced or not, is seen within about a second.
//!
//! A snapshot records the version read before its keys, so a write racing
//! the load can only make it look older (and dropped), never newer. A load
//! in flight across a drop does not store what it read. One load of a
//! tenant runs at a time: reads that arrive meanwhile go to the store.

mod model;
mod snapshot;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use model::{Held, Large, Lookup};
pub use model::{KeyCacheSettings, KeyCacheStats, KeyReadModel};
use snapshot::Snapshot;

use crate::audit::AuditNote;
use crate::crypto::PrivateKey;
use crate::dns::DnsCheck;
use crate::error::Result;
use crate::key::{DeleteRule, DkimKey, DnsRecord, KeyFilter, KeyId, KeyPage, KeyQuery, PageStart};
use crate::names::{DomainName, Selector};
use crate::ports::{KeyChange, KeyStore, KeyVersions, NewKey, RecordedCheck};
use crate::shared_state::TenantChangeListener as _;
use crate::tenant::TenantId;

/// A key store whose reads come from the node's read model (see the module).
pub struct CachedKeys {
    inner: Arc<dyn KeyStore>,
    versions: Arc<dyn KeyVersions>,
    model: Arc<KeyReadModel>,
}

impl CachedKeys {
    /// Answers `inner`'s reads from `model`, checked against `versions`.
    pub fn new(
        inner: Arc<dyn KeyStore>,
        versions: Arc<dyn KeyVersions>,
        model: Arc<KeyReadModel>,
    ) -> Self {
        Self {
            inner,
            versions,
            model,
        }
    }

    /// Reads so far.
    pub fn stats(&self) -> KeyCacheStats {
        self.model.stats()
    }

    /// One pass of the sweep: the versions of every held tenant, read in one
    /// statement, confirm their snapshots or drop them.
    pub async fn sweep(&self) -> Result<()> {
        let held = self.model.held_versions();
        if held.is_empty() {
            return Ok(());
        }
        let tenants: Vec<TenantId> = held.iter().map(|(tenant, _)| *tenant).collect();
        let asked = Instant::now();
        let current = self.versions.key_versions(&tenants).await?;
        self.model.checked(asked, &tenants, &current);
        Ok(())
    }

    /// The tenant's key version; `None` if there is no such tenant.
    async fn version(&self, tenant: TenantId) -> Result<Option<i64>> {
        let found = self.versions.key_versions(&[tenant]).await?;
        Ok(found
            .into_iter()
            .find(|(t, _)| *t == tenant)
            .map(|(_, v)| v))
    }

    /// The tenant's snapshot, loaded if need be; `None` when its reads go to
    /// the store.
    async fn snapshot(&self, tenant: TenantId) -> Result<Option<Arc<Snapshot>>> {
        let asked = Instant::now();
        match self.model.lookup(tenant, asked) {
            Lookup::Fresh(keys) => {
                self.model.hit();
                return Ok(Some(keys));
            }
            Lookup::Store => {
                self.model.miss();
                return Ok(None);
            }
            Lookup::Unverified(keys, version) => {
                if self.version(tenant).await? == Some(version) {
                    self.model.confirm(tenant, version, asked);
                    self.model.hit();
                    return Ok(Some(keys));
                }
                self.model.changed(tenant);
            }
            Lookup::Absent => {}
        }
        self.model.miss();
        let Some(_loading) = self.model.start_loading(tenant) else {
            return Ok(None);
        };
        self.load(tenant).await
    }

    /// Reads the tenant's version and key count, then its keys (unless it
    /// has too many), and holds them.
    async fn load(&self, tenant: TenantId) -> Result<Option<Arc<Snapshot>>> {
        let ticket = self.model.ticket();
        let Some((version, count)) = self.versions.key_census(tenant).await? else {
            return Ok(None);
        };
        let settings = self.model.settings();
        // More than the whole budget could never be held either.
        let cap = settings.max_tenant_keys.min(settings.max_keys);
        if count > cap as u64 {
            self.model.put(tenant, ticket, version, Held::TooMany(None));
            return Ok(None);
        }
        let all = KeyQuery {
            filter: KeyFilter::default(),
            start: PageStart::First,
            limit: cap as u64 + 1,
        };
        let keys = self.inner.list_keys(tenant, &all).await?;
        if keys.len() > cap {
            self.model.put(tenant, ticket, version, Held::TooMany(None));
            return Ok(None);
        }
        let snapshot = Arc::new(Snapshot::new(keys));
        let held = Held::Keys(snapshot.clone());
        self.model.put(tenant, ticket, version, held);
        Ok(Some(snapshot))
    }

    /// For a tenant too large to hold, an unfiltered query that skips keys
    /// by count, rewritten to start after the id where that count ends, from
    /// its key ids held in memory (read once per version): so a deep page
    /// number seeks like a page token instead of walking every key it skips.
    /// The query unchanged otherwise.
    async fn seek(&self, tenant: TenantId, query: &KeyQuery) -> Result<KeyQuery> {
        let PageStart::Offset(skip) = query.start else {
            return Ok(query.clone());
        };
        if skip == 0 || query.filter != KeyFilter::default() {
            return Ok(query.clone());
        }
        let asked = Instant::now();
        let ids = match self.model.large(tenant, asked) {
            Large::Unknown => return Ok(query.clone()),
            Large::Ids(ids, _, true) => ids,
            Large::Ids(ids, version, false) if self.version(tenant).await? == Some(version) => {
                self.model.confirm(tenant, version, asked);
                ids
            }
            Large::Ids(..) | Large::Known => {
                let Some(_loading) = self.model.start_loading(tenant) else {
                    return Ok(query.clone());
                };
                match self.load_ids(tenant).await? {
                    Some(ids) => ids,
                    None => return Ok(query.clone()),
                }
            }
        };
        let Some(last) = ids.len().checked_sub(1) else {
            return Ok(query.clone());
        };
        let before = usize::try_from(skip - 1).map_or(last, |i| i.min(last));
        Ok(KeyQuery {
            start: PageStart::After(ids[before]),
            ..query.clone()
        })
    }

    /// Reads a large tenant's version, then its key ids, and holds them.
    async fn load_ids(&self, tenant: TenantId) -> Result<Option<Arc<Vec<KeyId>>>> {
        let ticket = self.model.ticket();
        let Some(version) = self.version(tenant).await? else {
            return Ok(None);
        };
        let ids = Arc::new(self.versions.key_ids(tenant).await?);
        self.model.put_ids(tenant, ticket, version, ids.clone());
        Ok(Some(ids))
    }

    /// Drops the tenant's snapshot after a write, whatever its outcome.
    fn wrote<T>(&self, tenant: TenantId, outcome: Result<T>) -> Result<T> {
        self.model.changed(tenant);
        outcome
    }
}

#[async_trait]
impl KeyStore for CachedKeys {
    async fn insert_key(
        &self,
        tenant: TenantId,
        key: NewKey,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        let inserted = self.inner.insert_key(tenant, key, audit).await;
        self.wrote(tenant, inserted)
    }

    async fn get_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<DkimKey>> {
        match self.snapshot(tenant).await? {
            Some(keys) => Ok(keys.get(id)),
            None => self.inner.get_key(tenant, id).await,
        }
    }

    async fn find_key(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        selector: &Selector,
    ) -> Result<Option<DkimKey>> {
        match self.snapshot(tenant).await? {
            Some(keys) => Ok(keys.find(domain, selector)),
            None => self.inner.find_key(tenant, domain, selector).await,
        }
    }

    async fn list_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<Vec<DkimKey>> {
        match self.snapshot(tenant).await? {
            Some(keys) => Ok(keys.list(query)),
            None => {
                let query = self.seek(tenant, query).await?;
                self.inner.list_keys(tenant, &query).await
            }
        }
    }

    async fn page_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<KeyPage> {
        match self.snapshot(tenant).await? {
            Some(keys) => Ok(keys.page(query)),
            None => {
                let query = self.seek(tenant, query).await?;
                self.inner.page_keys(tenant, &query).await
            }
        }
    }

    async fn count_keys(&self, tenant: TenantId, filter: &KeyFilter) -> Result<u64> {
        match self.snapshot(tenant).await? {
            Some(keys) => Ok(keys.count(filter)),
            None => self.inner.count_keys(tenant, filter).await,
        }
    }

    async fn update_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        change: KeyChange,
        audit: &AuditNote,
    ) -> Result<DkimKey> {
        let updated = self.inner.update_key(tenant, id, change, audit).await;
        self.wrote(tenant, updated)
    }

    async fn delete_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        rule: DeleteRule,
        audit: &AuditNote,
    ) -> Result<bool> {
        let deleted = self.inner.delete_key(tenant, id, rule, audit).await;
        self.wrote(tenant, deleted)
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
        let recorded = self
            .inner
            .record_dns_check(tenant, id, looked_up, check, now, audit)
            .await;
        self.wrote(tenant, recorded)
    }

    async fn delete_domain_keys(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        audit: &AuditNote,
    ) -> Result<u64> {
        let deleted = self.inner.delete_domain_keys(tenant, domain, audit).await;
        self.wrote(tenant, deleted)
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
