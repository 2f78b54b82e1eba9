//! In-process shared state: what a node uses alone, and what every node falls
//! back to while Redis is away.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use signet_domain::shared_state::{Cache, Leases, RateDecision, RateLimiter};

use super::RateLimitSettings;

/// Locks `mutex`, ignoring poisoning: every critical section here leaves the
/// maps consistent even if a caller panicked elsewhere.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A TTL map holding at most a fixed number of entries; when full, the entry
/// closest to expiry (expired ones first) makes room.
pub struct LocalCache {
    max_entries: usize,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    entries: HashMap<String, CacheEntry>,
    /// Keys ordered by expiry; the sequence number breaks ties.
    by_expiry: BTreeMap<(Instant, u64), String>,
    next_seq: u64,
}

struct CacheEntry {
    value: String,
    expires: Instant,
    seq: u64,
}

impl CacheState {
    fn remove(&mut self, key: &str) {
        if let Some(old) = self.entries.remove(key) {
            self.by_expiry.remove(&(old.expires, old.seq));
        }
    }
}

impl LocalCache {
    /// A cache of at most `max_entries` values (at least one).
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries: max_entries.max(1),
            state: Mutex::default(),
        }
    }

    /// How many entries are held, expired ones included until evicted.
    pub fn len(&self) -> usize {
        lock(&self.state).entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl Cache for LocalCache {
    async fn get(&self, key: &str) -> Option<String> {
        let mut state = lock(&self.state);
        let entry = state.entries.get(key)?;
        if entry.expires > Instant::now() {
            return Some(entry.value.clone());
        }
        state.remove(key);
        None
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) {
        let Some(expires) = Instant::now().checked_add(ttl) else {
            return;
        };
        let mut state = lock(&self.state);
        state.remove(key);
        while state.entries.len() >= self.max_entries {
            let Some((_, oldest)) = state.by_expiry.pop_first() else {
                break;
            };
            state.entries.remove(&oldest);
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        state.by_expiry.insert((expires, seq), key.to_owned());
        let value = value.to_owned();
        state.entries.insert(
            key.to_owned(),
            CacheEntry {
                value,
                expires,
                seq,
            },
        );
    }
}

/// Buckets beyond this count trigger dropping the full ones, which are
/// indistinguishable from buckets never used.
const PRUNE_ABOVE_BUCKETS: usize = 10_000;

/// Token buckets kept in this process.
pub struct LocalRateLimiter {
    limits: RateLimitSettings,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn refilled(self, now: Instant, limits: RateLimitSettings) -> Self {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        let tokens = self.tokens + elapsed * limits.refill_per_second();
        Self {
            tokens: tokens.min(f64::from(limits.capacity())),
            updated: now,
        }
    }
}

impl LocalRateLimiter {
    /// Buckets of `limits.capacity` tokens refilled at `limits.refill_per_second`.
    pub fn new(limits: RateLimitSettings) -> Self {
        Self {
            limits,
            buckets: Mutex::default(),
        }
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn take(&self, bucket: &str) -> RateDecision {
        let now = Instant::now();
        let limits = self.limits;
        let capacity = f64::from(limits.capacity());
        let mut buckets = lock(&self.buckets);
        if buckets.len() > PRUNE_ABOVE_BUCKETS {
            buckets.retain(|_, b| b.refilled(now, limits).tokens < capacity);
        }
        let full = Bucket {
            tokens: capacity,
            updated: now,
        };
        let state = buckets.entry(bucket.to_owned()).or_insert(full);
        *state = state.refilled(now, limits);
        let allowed = state.tokens >= 1.0;
        if allowed {
            state.tokens -= 1.0;
        }
        let retry_after = if allowed {
            Duration::ZERO
        } else {
            let ms = ((1.0 - state.tokens) * 1000.0 / limits.refill_per_second()).ceil();
            Duration::from_millis(ms as u64)
        };
        RateDecision {
            allowed,
            limit: limits.capacity(),
            remaining: state.tokens.floor() as u32,
            retry_after,
        }
    }
}

/// Stands in for a TTL too long to add to an `Instant`.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Leases held by this process only: enough when a node runs alone.
#[derive(Default)]
pub struct LocalLeases {
    held: Mutex<HeldLeases>,
}

/// Lease expiries, swept of expired ones whenever the map has doubled since
/// the last sweep, so taking a lease costs O(1) amortised.
#[derive(Default)]
struct HeldLeases {
    until: HashMap<String, Instant>,
    sweep_at: usize,
}

/// Fewest leases worth a sweep.
const MIN_SWEEP: usize = 1024;

impl LocalLeases {
    /// No lease held.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Leases for LocalLeases {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut held = lock(&self.held);
        if held.until.get(name).is_some_and(|until| *until > now) {
            return false;
        }
        if held.until.len() >= held.sweep_at.max(MIN_SWEEP) {
            held.until.retain(|_, until| *until > now);
            held.sweep_at = held.until.len() * 2;
        }
        let until = now.checked_add(ttl).unwrap_or(now + FOREVER);
        held.until.insert(name.to_owned(), until);
        true
    }

    async fn release(&self, name: &str) {
        lock(&self.held).until.remove(name);
    }
}
