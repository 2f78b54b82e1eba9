//! Keys made before anyone asked: the configured sizes kept at their depth
//! by the background refill, and any size's keys whose caller left before
//! they were ready. Held in memory only (each wiped when dropped) and
//! handed out at most once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use signet_domain::{KeySize, KeySpec, PrivateKey};
use tokio::sync::Notify;

use super::KeyPool;

/// Keys a size that is not pooled (or pooled shallower) may still hold:
/// those finished after their caller left.
const LEFT_BEHIND_PER_SIZE: usize = 2;

/// The ready keys, per size.
#[derive(Debug)]
pub(super) struct Pool {
    /// How many keys the refill keeps ready, per pooled size, as configured.
    depths: Vec<(KeySize, usize)>,
    keys: Mutex<HashMap<KeySize, Vec<PrivateKey>>>,
    /// Signalled when a key is taken, so the refill starts again. A signal
    /// sent while nobody waits is kept for the next wait: none is lost.
    taken: Notify,
}

impl Pool {
    /// An empty pool. Its metrics appear at once, at zero.
    pub(super) fn new(config: &KeyPool) -> Self {
        let pool = Self {
            depths: config.depths().to_vec(),
            keys: Mutex::default(),
            taken: Notify::new(),
        };
        for &(size, _) in &pool.depths {
            depth_gauge(size).increment(0.0);
            counter("signet_key_pool_hits_total", size).increment(0);
            counter("signet_key_pool_misses_total", size).increment(0);
        }
        pool
    }

    fn keys(&self) -> MutexGuard<'_, HashMap<KeySize, Vec<PrivateKey>>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn depth(&self, size: KeySize) -> Option<usize> {
        self.depths
            .iter()
            .find_map(|&(pooled, depth)| (pooled == size).then_some(depth))
    }

    /// Whether the refill has anything to do.
    pub(super) fn refills(&self) -> bool {
        self.depths.iter().any(|&(_, depth)| depth > 0)
    }

    /// Keeps `key` for a later request, unless its size holds enough;
    /// `false` if it was dropped (and so wiped).
    pub(super) fn put(&self, key: PrivateKey) -> bool {
        let KeySpec::Rsa(size) = key.spec() else {
            return false;
        };
        let room = self.depth(size).unwrap_or(0).max(LEFT_BEHIND_PER_SIZE);
        let mut keys = self.keys();
        let held = keys.entry(size).or_default();
        if held.len() >= room {
            return false;
        }
        held.push(key);
        if self.depth(size).is_some() {
            depth_gauge(size).increment(1.0);
        }
        true
    }

    /// A ready key of `size`, removed from the pool under its lock, so no
    /// key is handed out twice. A pooled size counts the hit and wakes the
    /// refill.
    pub(super) fn take(&self, size: KeySize) -> Option<PrivateKey> {
        let key = {
            let mut keys = self.keys();
            let held = keys.get_mut(&size)?;
            let key = held.pop();
            if held.is_empty() {
                keys.remove(&size);
            }
            key
        }?;
        if self.depth(size).is_some() {
            depth_gauge(size).decrement(1.0);
            counter("signet_key_pool_hits_total", size).increment(1);
            self.taken.notify_one();
        }
        Some(key)
    }

    /// Counts a request of a pooled size that found no key ready.
    pub(super) fn missed(&self, size: KeySize) {
        if self.depth(size).is_some() {
            counter("signet_key_pool_misses_total", size).increment(1);
        }
    }

    /// The pooled size furthest below its depth (the first listed on a
    /// tie), or `None` when every size is full.
    pub(super) fn wanted(&self) -> Option<KeySize> {
        let keys = self.keys();
        let held = |size| keys.get(&size).map_or(0, Vec::len);
        self.depths
            .iter()
            .map(|&(size, depth)| (size, held(size), depth))
            .filter(|&(_, held, depth)| held < depth)
            // held/depth, compared without division.
            .min_by(|a, b| (a.1 * b.2).cmp(&(b.1 * a.2)))
            .map(|(size, ..)| size)
    }

    /// Completes once a pooled key has been taken since the last call.
    pub(super) async fn taken(&self) {
        self.taken.notified().await;
    }
}

impl Drop for Pool {
    /// The gauge is shared by every pool in the process (tests run many
    /// servers in one): a pool that goes takes its keys out of it.
    fn drop(&mut self) {
        let keys = self.keys();
        for &(size, _) in &self.depths {
            let held = keys.get(&size).map_or(0, Vec::len);
            depth_gauge(size).decrement(held as f64);
        }
    }
}

fn depth_gauge(size: KeySize) -> metrics::Gauge {
    metrics::gauge!("signet_key_pool_depth", "bits" => size.bits().to_string())
}

fn counter(name: &'static str, size: KeySize) -> metrics::Counter {
    metrics::counter!(name, "bits" => size.bits().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(bits: u32) -> KeySize {
        KeySize::try_from(bits).unwrap()
    }

    fn key(bits: u32) -> PrivateKey {
        PrivateKey::generate_rsa(size(bits)).unwrap()
    }

    fn pool(config: &str) -> Pool {
        Pool::new(&KeyPool::parse(config).unwrap())
    }

    #[test]
    fn the_size_furthest_below_its_depth_is_wanted_first() {
        let pool = pool("1024:2,512:1");
        assert_eq!(pool.wanted(), Some(size(1024)), "the first listed on a tie");
        assert!(pool.put(key(1024)));
        assert_eq!(pool.wanted(), Some(size(512)));
        assert!(pool.put(key(512)));
        assert_eq!(pool.wanted(), Some(size(1024)));
        assert!(pool.put(key(1024)));
        assert_eq!(pool.wanted(), None);
    }

    #[test]
    fn a_pooled_size_holds_its_depth_and_another_size_a_few_left_behind() {
        let pool = pool("512:3");
        assert!((0..3).all(|_| pool.put(key(512))));
        assert!(!pool.put(key(512)));
        assert!(pool.put(key(520)));
        assert!(pool.put(key(520)));
        assert!(!pool.put(key(520)));
    }

    #[test]
    fn a_key_is_taken_once_and_the_refill_is_woken() {
        let pool = pool("512:2");
        let kept = key(512);
        let public = kept.public_key();
        assert!(pool.put(kept));
        assert_eq!(pool.take(size(512)).unwrap().public_key(), public);
        assert!(pool.take(size(512)).is_none());
        assert!(pool.keys().is_empty());
        let woken = futures::FutureExt::now_or_never(pool.taken());
        assert!(woken.is_some(), "the take left a signal for the refill");
    }

    #[test]
    fn nothing_pooled_or_only_depth_zero_leaves_nothing_to_refill() {
        assert!(!pool("").refills());
        assert!(!pool("2048:0").refills());
        assert_eq!(pool("2048:0").wanted(), None);
        assert!(pool("2048:0,1024:1").refills());
    }
}
