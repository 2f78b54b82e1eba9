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

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use signet_domain::shared_state::TenantChangeListener;
use signet_domain::{FleetAccess, FleetTokenHash, TenantId};

/// How the feed cache is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCacheSettings {
    /// The longest an entry is trusted: the safety net for a missed announcement.
    pub max_age: Duration,
    /// Most entries held; a full cache drops its expired entries, then all.
    pub max_entries: usize,
}

impl Default for FeedCacheSettings {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(30),
            max_entries: 10_000,
        }
    }
}

/// A feed as served: who reads it, and its bytes.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The fleet and its tenant.
    pub access: FleetAccess,
    /// The JSON body.
    pub body: Bytes,
    /// Its strong ETag, quoted.
    pub etag: String,
}

struct Entry {
    /// `None`: no live fleet has this token.
    feed: Option<Arc<Rendered>>,
    expires: Instant,
}

#[derive(Default)]
struct State {
    entries: HashMap<FleetTokenHash, Entry>,
    /// Bumped by every forget, so a read that was in flight across one does
    /// not store its possibly stale answer.
    epoch: u64,
}

/// Where a miss started: handed back with its answer.
#[derive(Debug, Clone, Copy)]
pub struct Miss {
    epoch: u64,
    asked: Instant,
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
        if let Some(entry) = state.entries.get(token).filter(|e| e.expires > asked) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(entry.feed.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Miss {
            epoch: state.epoch,
            asked,
        })
    }

    /// Keeps the database's answer to a miss, unless a change was announced
    /// since the miss began.
    pub fn put(&self, token: FleetTokenHash, miss: Miss, feed: Option<Arc<Rendered>>) {
        let mut state = self.lock();
        if state.epoch != miss.epoch {
            return;
        }
        if state.entries.len() >= self.settings.max_entries {
            let now = Instant::now();
            state.entries.retain(|_, entry| entry.expires > now);
            if state.entries.len() >= self.settings.max_entries {
                state.entries.clear();
            }
        }
        let expires = miss.asked + self.settings.max_age;
        state.entries.insert(token, Entry { feed, expires });
    }

    /// Notes that the feed with `etag` was recorded as read, so serving it
    /// again records nothing.
    pub fn recorded(&self, token: &FleetTokenHash, etag: &str) {
        let mut state = self.lock();
        if let Some(Entry {
            feed: Some(feed), ..
        }) = state.entries.get_mut(token)
        {
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
        state.entries.retain(|_, entry| {
            entry
                .feed
                .as_ref()
                .is_none_or(|feed| feed.access.tenant.id != tenant)
        });
    }

    fn missed(&self) {
        let mut state = self.lock();
        state.epoch += 1;
        state.entries.clear();
    }
}
