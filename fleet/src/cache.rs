//! The feed cache: per fleet token hash, the fleet it belongs to (or that it
//! belongs to none) and the feed rendered for it, body and ETag. A poll of
//! an unchanged feed, 200 or 304, is then served without a database read.
//!
//! Staleness is bounded as in the authentication cache
//! (`signet_domain::auth_cache`): any write to a tenant's keys, or a fleet's
//! revocation, drops the tenant's entries here at once and on the other
//! nodes through the announcement channel; a node that (re)subscribes drops
//! everything; and no entry outlives [`FeedCacheSettings::max_age`], counted
//! from before the database was asked, for a missed announcement.
//!
//! A revocation must hold within a second on every node, Redis or not, so a
//! token is trusted for [`FeedCacheSettings::revalidate_after`] only: past
//! that, its fleet is read again (one indexed row) before the cached body is
//! served, and a revoked or changed fleet is not served from memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use signet_domain::shared_state::TenantChangeListener;
use signet_domain::{FleetAccess, FleetTokenHash, TenantId};
use zeroize::Zeroizing;

/// How the feed cache is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCacheSettings {
    /// The longest an entry is trusted: the safety net for a missed announcement.
    pub max_age: Duration,
    /// How long a token is trusted before its fleet is read again: the
    /// longest a revocation missed by the announcements goes unnoticed.
    pub revalidate_after: Duration,
    /// Most entries held of each kind (feeds, and tokens no fleet has); a
    /// full kind drops its expired entries, then all of that kind, so a flood
    /// of unknown tokens never evicts a real fleet's feed.
    pub max_entries: usize,
}

impl Default for FeedCacheSettings {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(30),
            // Half the one-second bound, as the authentication cache's TTL.
            revalidate_after: Duration::from_millis(500),
            max_entries: 10_000,
        }
    }
}

/// A feed as served: who reads it, and its bytes.
#[derive(Clone)]
pub struct Rendered {
    /// The fleet and its tenant.
    pub access: FleetAccess,
    /// The JSON body: it holds private keys, so it is wiped once the cache
    /// and every response serving it let go.
    pub body: Arc<Zeroizing<Vec<u8>>>,
    /// Its strong ETag, quoted.
    pub etag: String,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("access", &self.access)
            .field(
                "body",
                &format_args!("[{} bytes redacted]", self.body.len()),
            )
            .field("etag", &self.etag)
            .finish()
    }
}

struct Entry {
    feed: Arc<Rendered>,
    /// Until when its body may be served.
    expires: Instant,
    /// Until when its token is trusted without a read of its fleet.
    trusted: Instant,
}

#[derive(Default)]
struct State {
    entries: HashMap<FleetTokenHash, Entry>,
    /// Tokens no live fleet has, until when.
    unknown: HashMap<FleetTokenHash, Instant>,
    /// Bumped by every forget, so a read that was in flight across one does
    /// not store its possibly stale answer.
    epoch: u64,
}

/// Where a miss started: handed back with its answer.
#[derive(Debug, Clone)]
pub struct Miss {
    epoch: u64,
    asked: Instant,
    /// A body still young enough to serve, whose token is due for a check,
    /// and until when the body may be served.
    due: Option<(Arc<Rendered>, Instant)>,
}

impl Miss {
    /// The cached feed whose token is due for a check: if its fleet is
    /// still live and unchanged, it is served again (with the access read),
    /// with no need to read the keys.
    pub fn cached(&self) -> Option<&Arc<Rendered>> {
        self.due.as_ref().map(|(feed, _)| feed)
    }
}

/// The feed cache (see the module).
pub struct FeedCache {
    settings: FeedCacheSettings,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Feed reads so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeedCacheStats {
    /// Answered from the cache.
    pub hits: u64,
    /// Answered by reading the database.
    pub misses: u64,
}

impl FeedCache {
    /// An empty cache.
    pub fn new(settings: FeedCacheSettings) -> Self {
        Self {
            settings,
            state: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Reads so far.
    pub fn stats(&self) -> FeedCacheStats {
        FeedCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached answer for a token (`Ok(None)`: no live fleet has it), or
    /// the [`Miss`] to hand [`FeedCache::put`] with the database's answer.
    pub fn get(&self, token: &FleetTokenHash) -> Result<Option<Arc<Rendered>>, Miss> {
        let asked = Instant::now();
        let state = self.lock();
        let live = state.entries.get(token).filter(|e| e.expires > asked);
        if let Some(entry) = live.filter(|e| e.trusted > asked) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(entry.feed.clone()));
        }
        if state.unknown.get(token).is_some_and(|&e| e > asked) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Miss {
            epoch: state.epoch,
            asked,
            due: live.map(|e| (e.feed.clone(), e.expires)),
        })
    }

    /// Keeps the database's answer to a miss, unless a change was announced
    /// since the miss began. A body served again after a check keeps the
    /// expiry it had.
    pub fn put(&self, token: FleetTokenHash, miss: Miss, feed: Option<Arc<Rendered>>) {
        let mut state = self.lock();
        if state.epoch != miss.epoch {
            return;
        }
        let expires = match (&miss.due, &feed) {
            (Some((due, expires)), Some(feed)) if Arc::ptr_eq(&due.body, &feed.body) => *expires,
            _ => miss.asked + self.settings.max_age,
        };
        let trusted = expires.min(miss.asked + self.settings.revalidate_after);
        let (max, now) = (self.settings.max_entries, Instant::now());
        match feed {
            Some(feed) => {
                if state.entries.len() >= max {
                    state.entries.retain(|_, entry| entry.expires > now);
                    if state.entries.len() >= max {
                        state.entries.clear();
                    }
                }
                state.unknown.remove(&token);
                let entry = Entry {
                    feed,
                    expires,
                    trusted,
                };
                state.entries.insert(token, entry);
            }
            None => {
                if state.unknown.len() >= max {
                    state.unknown.retain(|_, until| *until > now);
                    if state.unknown.len() >= max {
                        state.unknown.clear();
                    }
                }
                state.entries.remove(&token);
                state.unknown.insert(token, expires);
            }
        }
    }

    /// Notes that the feed with `etag` was recorded as read, so serving it
    /// again records nothing.
    pub fn recorded(&self, token: &FleetTokenHash, etag: &str) {
        let mut state = self.lock();
        if let Some(Entry { feed, .. }) = state.entries.get_mut(token) {
            if feed.etag == etag {
                let mut read = Rendered::clone(feed);
                read.access.last_read = Some(etag.to_owned());
                *feed = Arc::new(read);
            }
        }
    }
}

impl TenantChangeListener for FeedCache {
    fn changed(&self, tenant: TenantId) {
        let mut state = self.lock();
        state.epoch += 1;
        state
            .entries
            .retain(|_, entry| entry.feed.access.tenant.id != tenant);
    }

    fn missed(&self) {
        let mut state = self.lock();
        state.epoch += 1;
        state.entries.clear();
        state.unknown.clear();
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use signet_domain::{
        Fleet, FleetDomains, FleetId, FleetName, Tenant, TenantName, TenantSettings,
    };

    use super::*;

    fn rendered(tenant: i64, etag: &str) -> Arc<Rendered> {
        Arc::new(Rendered {
            access: FleetAccess {
                tenant: Tenant {
                    id: TenantId(tenant),
                    name: TenantName::parse("acme").unwrap(),
                    settings: TenantSettings::default(),
                },
                fleet: Fleet {
                    id: FleetId(1),
                    name: FleetName::parse("mta").unwrap(),
                    domains: FleetDomains::parse_list("a.example").unwrap(),
                    created_at: Utc::now(),
                },
                last_read: None,
            },
            body: Arc::new(Zeroizing::new(b"{}".to_vec())),
            etag: etag.to_owned(),
        })
    }

    fn cache(max_age: Duration, max_entries: usize) -> FeedCache {
        FeedCache::new(FeedCacheSettings {
            max_age,
            revalidate_after: max_age,
            max_entries,
        })
    }

    const LONG: Duration = Duration::from_secs(3600);

    fn token(s: &str) -> FleetTokenHash {
        FleetTokenHash::of(s)
    }

    #[test]
    fn an_answer_is_kept_until_its_tenant_changes_and_only_then() {
        let cache = cache(LONG, 100);
        for (t, tenant) in [("sgf_a", 1), ("sgf_b", 2)] {
            let miss = cache.get(&token(t)).unwrap_err();
            cache.put(token(t), miss, Some(rendered(tenant, "\"1\"")));
        }
        let miss = cache.get(&token("sgf_unknown")).unwrap_err();
        cache.put(token("sgf_unknown"), miss, None);
        cache.changed(TenantId(1));
        assert!(cache.get(&token("sgf_a")).is_err(), "tenant 1 forgotten");
        assert!(
            cache.get(&token("sgf_b")).unwrap().is_some(),
            "tenant 2 kept"
        );
        assert!(cache.get(&token("sgf_unknown")).unwrap().is_none(), "kept");
        cache.missed();
        assert!(cache.get(&token("sgf_b")).is_err(), "all forgotten");
        assert_eq!(cache.stats(), FeedCacheStats { hits: 2, misses: 5 });
    }

    #[test]
    fn an_answer_read_across_a_change_is_not_kept() {
        let cache = cache(LONG, 100);
        let miss = cache.get(&token("sgf_a")).unwrap_err();
        cache.changed(TenantId(7));
        cache.put(token("sgf_a"), miss, Some(rendered(1, "\"1\"")));
        assert!(cache.get(&token("sgf_a")).is_err());
    }

    #[test]
    fn an_answer_expires_after_the_max_age() {
        let cache = cache(Duration::from_millis(20), 100);
        let miss = cache.get(&token("sgf_a")).unwrap_err();
        cache.put(token("sgf_a"), miss, Some(rendered(1, "\"1\"")));
        std::thread::sleep(Duration::from_millis(30));
        assert!(cache.get(&token("sgf_a")).is_err());
    }

    #[test]
    fn a_token_past_its_trust_is_checked_and_its_body_served_again_until_the_max_age() {
        let cache = FeedCache::new(FeedCacheSettings {
            max_age: LONG,
            revalidate_after: Duration::from_millis(20),
            max_entries: 100,
        });
        let miss = cache.get(&token("sgf_a")).unwrap_err();
        assert!(miss.cached().is_none(), "nothing cached yet");
        let feed = rendered(1, "\"1\"");
        cache.put(token("sgf_a"), miss, Some(feed.clone()));
        assert!(cache.get(&token("sgf_a")).unwrap().is_some(), "trusted");
        std::thread::sleep(Duration::from_millis(30));
        let miss = cache.get(&token("sgf_a")).unwrap_err();
        let due = miss
            .cached()
            .expect("the body is still young enough")
            .clone();
        assert!(Arc::ptr_eq(&due.body, &feed.body));
        cache.put(token("sgf_a"), miss, Some(due));
        let expires = cache.lock().entries[&token("sgf_a")].expires;
        assert!(
            cache.get(&token("sgf_a")).unwrap().is_some(),
            "trusted again"
        );
        assert!(expires < Instant::now() + LONG, "its expiry was kept");
        std::thread::sleep(Duration::from_millis(30));
        let miss = cache.get(&token("sgf_a")).unwrap_err();
        cache.put(token("sgf_a"), miss, None);
        assert!(cache.get(&token("sgf_a")).unwrap().is_none(), "revoked");
    }

    #[test]
    fn a_flood_of_unknown_tokens_never_evicts_a_fleets_feed() {
        let cache = cache(LONG, 3);
        let miss = cache.get(&token("sgf_real")).unwrap_err();
        cache.put(token("sgf_real"), miss, Some(rendered(1, "\"1\"")));
        for n in 0..50 {
            let t = format!("sgf_unknown{n}");
            let miss = cache.get(&token(&t)).unwrap_err();
            cache.put(token(&t), miss, None);
        }
        assert!(cache.lock().unknown.len() <= 3);
        assert!(cache.get(&token("sgf_real")).unwrap().is_some(), "kept");
        assert!(cache.get(&token("sgf_unknown49")).unwrap().is_none());
    }

    #[test]
    fn a_full_cache_makes_room_and_a_recorded_read_is_remembered() {
        let cache = cache(LONG, 2);
        for t in ["sgf_a", "sgf_b", "sgf_c"] {
            let miss = cache.get(&token(t)).unwrap_err();
            cache.put(token(t), miss, Some(rendered(1, "\"1\"")));
        }
        assert!(cache.lock().entries.len() <= 2);
        for t in ["sgf_x", "sgf_y", "sgf_z"] {
            let miss = cache.get(&token(t)).unwrap_err();
            cache.put(token(t), miss, None);
        }
        cache.recorded(&token("sgf_c"), "\"1\"");
        let feed = cache.get(&token("sgf_c")).unwrap().unwrap();
        assert_eq!(feed.access.last_read.as_deref(), Some("\"1\""));
    }
}
