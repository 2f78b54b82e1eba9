//! A [`TenantStore`] that remembers, for a short time, which tenant an API
//! key hash belongs to, or that it belongs to none, so authenticating a
//! request rarely costs a database round trip.
//!
//! Staleness is bounded twice: a revocation or a settings change made
//! through this store forgets the tenant here at once and is announced to
//! the other nodes ([`TenantChanges`]); and no entry outlives its TTL,
//! counted from before the store was asked, so a missed announcement (the
//! channel is down, or another process without the channel made the change)
//! holds within the TTL all the same.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditNote;
use crate::error::Result;
use crate::ports::TenantStore;
use crate::shared_state::{TenantChangeListener, TenantChanges};
use crate::tenant::{
    ApiKeyHash, ApiKeyId, ApiKeyInfo, ApiKeyLabel, Tenant, TenantId, TenantName, TenantSettings,
};

/// How the authentication cache is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthCacheSettings {
    /// How long an answer, positive or negative, is trusted: the longest a
    /// change missed by the announcements goes unnoticed.
    pub ttl: Duration,
    /// Most entries held of each kind (keys of a tenant, and keys no tenant
    /// has); a full kind drops its expired entries, then all of that kind, so
    /// a flood of random well-formed keys never evicts a real tenant's.
    pub max_entries: usize,
}

impl AuthCacheSettings {
    /// The default TTL: half the one-second bound on a change reaching
    /// every node, leaving room for a slow lookup and a loaded machine.
    pub const DEFAULT_TTL: Duration = Duration::from_millis(500);
}

impl Default for AuthCacheSettings {
    fn default() -> Self {
        Self {
            ttl: Self::DEFAULT_TTL,
            max_entries: 10_000,
        }
    }
}

/// Lookups so far: answered from the cache, or by asking the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthCacheStats {
    /// Answered from the cache.
    pub hits: u64,
    /// Answered by the store.
    pub misses: u64,
}

struct Entry {
    tenant: Tenant,
    key: ApiKeyId,
    expires: Instant,
}

#[derive(Default)]
struct State {
    /// Live keys: their tenant and id.
    known: HashMap<ApiKeyHash, Entry>,
    /// Keys no live key has, until when.
    unknown: HashMap<ApiKeyHash, Instant>,
    /// Bumped by every forget, so a lookup that was in flight across one
    /// does not store its possibly stale answer.
    epoch: u64,
}

/// Wraps a tenant store with the authentication cache (see the module).
pub struct CachedTenants {
    inner: Arc<dyn TenantStore>,
    changes: Arc<dyn TenantChanges>,
    settings: AuthCacheSettings,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CachedTenants {
    /// Caches `inner`'s API key lookups and announces changes on `changes`.
    pub fn new(
        inner: Arc<dyn TenantStore>,
        changes: Arc<dyn TenantChanges>,
        settings: AuthCacheSettings,
    ) -> Self {
        Self {
            inner,
            changes,
            settings,
            state: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Lookups answered so far, from the cache and from the store.
    pub fn stats(&self) -> AuthCacheStats {
        AuthCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets the tenant here and tells the other nodes. Done whether the
    /// change succeeded or not: a timed-out write may still have committed.
    async fn announce(&self, tenant: TenantId) {
        self.changed(tenant);
        self.changes.publish(tenant).await;
    }
}

impl TenantChangeListener for CachedTenants {
    fn changed(&self, tenant: TenantId) {
        let mut state = self.lock();
        state.epoch += 1;
        state.known.retain(|_, entry| entry.tenant.id != tenant);
    }

    fn missed(&self) {
        let mut state = self.lock();
        state.epoch += 1;
        state.known.clear();
        state.unknown.clear();
    }
}

#[async_trait]
impl TenantStore for CachedTenants {
    async fn create_tenant(&self, name: &TenantName, audit: &AuditNote) -> Result<Tenant> {
        self.inner.create_tenant(name, audit).await
    }

    async fn find_tenant(&self, name: &TenantName) -> Result<Option<Tenant>> {
        self.inner.find_tenant(name).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.inner.list_tenants().await
    }

    async fn update_settings(
        &self,
        tenant: TenantId,
        settings: TenantSettings,
        audit: &AuditNote,
    ) -> Result<Tenant> {
        let updated = self.inner.update_settings(tenant, settings, audit).await;
        self.announce(tenant).await;
        updated
    }

    /// A new key needs no forgetting: its hash cannot be cached anywhere,
    /// since nobody could present its fresh random secret before now.
    async fn add_api_key(
        &self,
        tenant: TenantId,
        hash: &ApiKeyHash,
        label: Option<&ApiKeyLabel>,
        audit: &AuditNote,
    ) -> Result<ApiKeyId> {
        self.inner.add_api_key(tenant, hash, label, audit).await
    }

    /// Nothing cached depends on when a key was last used.
    async fn touch_api_key(&self, hash: &ApiKeyHash, now: DateTime<Utc>) -> Result<()> {
        self.inner.touch_api_key(hash, now).await
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyInfo>> {
        self.inner.list_api_keys(tenant).await
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        audit: &AuditNote,
    ) -> Result<bool> {
        let revoked = self.inner.revoke_api_key(tenant, id, audit).await;
        self.announce(tenant).await;
        revoked
    }

    async fn tenant_by_api_key(&self, hash: &ApiKeyHash) -> Result<Option<(Tenant, ApiKeyId)>> {
        // Taken before the store is asked, so an entry expires within the
        // TTL of any change its answer may predate.
        let asked = Instant::now();
        let epoch = {
            let state = self.lock();
            if let Some(entry) = state.known.get(hash).filter(|e| e.expires > asked) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Some((entry.tenant.clone(), entry.key)));
            }
            if state.unknown.get(hash).is_some_and(|&until| until > asked) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(None);
            }
            state.epoch
        };
        self.misses.fetch_add(1, Ordering::Relaxed);
        let tenant = self.inner.tenant_by_api_key(hash).await?;
        let mut state = self.lock();
        if state.epoch == epoch {
            let (max, now) = (self.settings.max_entries, Instant::now());
            let expires = asked + self.settings.ttl;
            match &tenant {
                Some((owner, key)) => {
                    make_room(&mut state.known, max, |entry| entry.expires > now);
                    state.unknown.remove(hash);
                    let entry = Entry {
                        tenant: owner.clone(),
                        key: *key,
                        expires,
                    };
                    state.known.insert(hash.clone(), entry);
                }
                None => {
                    make_room(&mut state.unknown, max, |&until| until > now);
                    state.known.remove(hash);
                    state.unknown.insert(hash.clone(), expires);
                }
            }
        }
        Ok(tenant)
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

/// Makes room for one more entry in a full `map`: drops the entries no
/// longer `live`, then, if it is still full, all of them.
fn make_room<V>(map: &mut HashMap<ApiKeyHash, V>, max: usize, live: impl Fn(&V) -> bool) {
    if map.len() >= max {
        map.retain(|_, value| live(value));
        if map.len() >= max {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::audit::{Action, Origin};
    use crate::tenant::MinRsaBits;

    /// One tenant with one key, `sgn_live`, until revoked; counts lookups.
    struct OneKey {
        tenant: Mutex<Tenant>,
        revoked: Mutex<bool>,
        lookups: AtomicUsize,
    }

    impl OneKey {
        fn new() -> Self {
            Self {
                tenant: Mutex::new(Tenant {
                    id: TenantId(7),
                    name: TenantName::parse("acme").unwrap(),
                    settings: TenantSettings::default(),
                }),
                revoked: Mutex::new(false),
                lookups: AtomicUsize::new(0),
            }
        }
    }

    #[async_trait]
    impl TenantStore for OneKey {
        async fn create_tenant(&self, _: &TenantName, _: &AuditNote) -> Result<Tenant> {
            unimplemented!()
        }
        async fn find_tenant(&self, _: &TenantName) -> Result<Option<Tenant>> {
            unimplemented!()
        }
        async fn list_tenants(&self) -> Result<Vec<Tenant>> {
            unimplemented!()
        }
        async fn update_settings(
            &self,
            _: TenantId,
            settings: TenantSettings,
            _: &AuditNote,
        ) -> Result<Tenant> {
            let mut tenant = self.tenant.lock().unwrap();
            tenant.settings = settings;
            Ok(tenant.clone())
        }
        async fn add_api_key(
            &self,
            _: TenantId,
            _: &ApiKeyHash,
            _: Option<&ApiKeyLabel>,
            _: &AuditNote,
        ) -> Result<ApiKeyId> {
            unimplemented!()
        }
        async fn touch_api_key(&self, _: &ApiKeyHash, _: DateTime<Utc>) -> Result<()> {
            unimplemented!()
        }
        async fn list_api_keys(&self, _: TenantId) -> Result<Vec<ApiKeyInfo>> {
            unimplemented!()
        }
        async fn revoke_api_key(&self, _: TenantId, _: ApiKeyId, _: &AuditNote) -> Result<bool> {
            *self.revoked.lock().unwrap() = true;
            Ok(true)
        }
        async fn tenant_by_api_key(&self, hash: &ApiKeyHash) -> Result<Option<(Tenant, ApiKeyId)>> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            let live = *hash == ApiKeyHash::of("sgn_live") && !*self.revoked.lock().unwrap();
            Ok(live.then(|| (self.tenant.lock().unwrap().clone(), ApiKeyId(1))))
        }
        async fn ping(&self) -> Result<()> {
            Ok(())
        }
    }

    /// Records what was announced.
    #[derive(Default)]
    struct Announced(Mutex<Vec<TenantId>>);

    #[async_trait]
    impl TenantChanges for Announced {
        async fn publish(&self, tenant: TenantId) {
            self.0.lock().unwrap().push(tenant);
        }
    }

    fn cached(ttl: Duration, max_entries: usize) -> (Arc<OneKey>, Arc<Announced>, CachedTenants) {
        let store = Arc::new(OneKey::new());
        let announced = Arc::new(Announced::default());
        let settings = AuthCacheSettings { ttl, max_entries };
        let cache = CachedTenants::new(store.clone(), announced.clone(), settings);
        (store, announced, cache)
    }

    fn note(action: Action) -> AuditNote {
        AuditNote {
            origin: Origin::cli(),
            action,
            at: Utc::now(),
        }
    }

    const LONG: Duration = Duration::from_secs(3600);

    async fn who(cache: &CachedTenants, key: &str) -> Option<TenantId> {
        let tenant = cache.tenant_by_api_key(&ApiKeyHash::of(key)).await.unwrap();
        tenant.map(|(t, _)| t.id)
    }

    #[tokio::test]
    async fn known_and_unknown_keys_are_each_asked_of_the_store_once_within_the_ttl() {
        let (store, _, cache) = cached(LONG, 100);
        for _ in 0..3 {
            assert_eq!(who(&cache, "sgn_live").await, Some(TenantId(7)));
            assert_eq!(who(&cache, "sgn_unknown").await, None);
        }
        assert_eq!(store.lookups.load(Ordering::SeqCst), 2);
        assert_eq!(cache.stats(), AuthCacheStats { hits: 4, misses: 2 });
    }

    #[tokio::test]
    async fn an_answer_is_asked_again_once_its_ttl_is_over() {
        let (store, _, cache) = cached(Duration::from_millis(20), 100);
        who(&cache, "sgn_unknown").await;
        std::thread::sleep(Duration::from_millis(30));
        who(&cache, "sgn_unknown").await;
        assert_eq!(store.lookups.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_revocation_is_refused_at_once_and_announced() {
        let (store, announced, cache) = cached(LONG, 100);
        assert!(who(&cache, "sgn_live").await.is_some());
        cache
            .revoke_api_key(TenantId(7), ApiKeyId(1), &note(Action::ApiKeyRevoked))
            .await
            .unwrap();
        assert_eq!(who(&cache, "sgn_live").await, None);
        assert_eq!(store.lookups.load(Ordering::SeqCst), 2);
        assert_eq!(*announced.0.lock().unwrap(), [TenantId(7)]);
    }

    #[tokio::test]
    async fn a_settings_change_is_seen_at_once_and_announced() {
        let (_, announced, cache) = cached(LONG, 100);
        who(&cache, "sgn_live").await;
        let settings = TenantSettings {
            private_key_export: true,
            min_rsa_bits: MinRsaBits::try_from(2048).unwrap(),
        };
        let audit = note(Action::SettingsChanged);
        cache
            .update_settings(TenantId(7), settings, &audit)
            .await
            .unwrap();
        let tenant = cache.tenant_by_api_key(&ApiKeyHash::of("sgn_live")).await;
        assert_eq!(tenant.unwrap().unwrap().0.settings, settings);
        assert_eq!(*announced.0.lock().unwrap(), [TenantId(7)]);
    }

    #[tokio::test]
    async fn an_announced_change_forgets_only_that_tenant() {
        let (store, _, cache) = cached(LONG, 100);
        who(&cache, "sgn_live").await;
        who(&cache, "sgn_unknown").await;
        cache.changed(TenantId(8));
        who(&cache, "sgn_live").await;
        assert_eq!(store.lookups.load(Ordering::SeqCst), 2, "another tenant");
        cache.changed(TenantId(7));
        who(&cache, "sgn_live").await;
        who(&cache, "sgn_unknown").await;
        assert_eq!(store.lookups.load(Ordering::SeqCst), 3, "negative kept");
        cache.missed();
        who(&cache, "sgn_unknown").await;
        assert_eq!(store.lookups.load(Ordering::SeqCst), 4, "all forgotten");
    }

    #[tokio::test]
    async fn a_full_cache_makes_room() {
        let (store, _, cache) = cached(LONG, 2);
        for key in ["sgn_a", "sgn_b", "sgn_c", "sgn_c"] {
            who(&cache, key).await;
        }
        assert_eq!(store.lookups.load(Ordering::SeqCst), 3);
        assert!(cache.lock().unknown.len() <= 2);
    }

    #[tokio::test]
    async fn a_flood_of_unknown_keys_does_not_evict_a_known_one() {
        let (store, _, cache) = cached(LONG, 2);
        who(&cache, "sgn_live").await;
        for _ in 0..50 {
            let random = crate::tenant::ApiKeySecret::generate();
            assert_eq!(who(&cache, random.expose()).await, None);
        }
        assert_eq!(store.lookups.load(Ordering::SeqCst), 51);
        assert_eq!(who(&cache, "sgn_live").await, Some(TenantId(7)));
        assert_eq!(
            store.lookups.load(Ordering::SeqCst),
            51,
            "served from the cache"
        );
        assert!(cache.lock().unknown.len() <= 2);
    }
}
