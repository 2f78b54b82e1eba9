//! RSA generation on blocking threads, shared fairly between tenants, so a
//! slow 8192-bit key never stalls the request loop nor anyone else's key.
//! Ed25519 keys take microseconds and are made inline, outside all of this.
//!
//! Two lanes: below 4096 bits a key takes well under a second; from 4096 bits
//! it takes seconds to a minute. Each lane has its own generators, so a burst
//! of large keys never queues a small one. Within a lane a tenant holds at
//! most a share of the running *and* waiting places, so its burst waits
//! behind its own requests, not in front of everyone else's. A wait longer
//! than the queue timeout is answered `Busy`.
//!
//! The usual sizes are made ahead of time: a background refill keeps a pool
//! of ready keys per configured size, so a create takes a key rather than
//! a core. The refill runs one key at a time and only on a generator no
//! request is waiting for; a request that finds the pool empty generates its
//! own, as it would without a pool. A key that finishes after its caller
//! left (timeout, client gone) goes to the pool for the next request of its
//! size: its CPU time is never thrown away.
//!
//! The keys themselves come from aws-lc for 2048, 3072, 4096 and 8192 bits
//! and from the `rsa` crate for every other size (see `rsa_keys`).

mod config;
mod pool;
mod rsa_keys;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use signet_domain::ports::KeyGenerator;
use signet_domain::{Error, InvalidValue, KeySize, KeySpec, PrivateKey, Result, TenantId};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

pub use self::config::{Config, KeyPool, DEFAULT_KEY_POOL, DEFAULT_QUEUE_TIMEOUT};
use self::pool::Pool;

/// Sizes from here on run in the large lane.
const LARGE_BITS: u32 = 4096;
/// How long the refill rests after a failed generation (a panic).
const REFILL_BACKOFF: Duration = Duration::from_secs(1);

/// The [`KeyGenerator`] port over tokio's blocking pool.
#[derive(Debug, Clone)]
pub struct PooledKeyGenerator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    small: Arc<Lane>,
    large: Arc<Lane>,
    queue_timeout: Duration,
    pool: Pool,
}

impl PooledKeyGenerator {
    /// `concurrency` small keys (at least one) and half as many large ones
    /// (at least one) at once: large keys hold a core for up to a minute, so
    /// they may take at most half the cores, and small keys always find one
    /// to share. A request waits at most `queue_timeout` for its turn. The
    /// pool starts empty: [`Self::refill`] fills it.
    pub fn new(concurrency: usize, queue_timeout: Duration, pool: &KeyPool) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            inner: Arc::new(Inner {
                small: Arc::new(Lane::new("small", concurrency)),
                large: Arc::new(Lane::new("large", concurrency / 2)),
                queue_timeout,
                pool: Pool::new(pool),
            }),
        }
    }

    /// Keeps every pooled size at its depth, until the task is dropped;
    /// returns at once when nothing is pooled. One key at a time, on a
    /// generator of its size's lane that no request is waiting for.
    pub async fn refill(self) {
        let pool = &self.inner.pool;
        if !pool.refills() {
            return;
        }
        loop {
            while let Some(size) = pool.wanted() {
                if let Err(e) = self.refill_one(size).await {
                    tracing::error!(error = %e, bits = size.bits(), "cannot refill the key pool");
                    tokio::time::sleep(REFILL_BACKOFF).await;
                }
            }
            pool.taken().await;
        }
    }

    async fn refill_one(&self, size: KeySize) -> Result<()> {
        let place = self.lane(size).spare().await?;
        let key = tokio::task::spawn_blocking(move || generate(size, place))
            .await
            .map_err(|_| Error::internal("key generation failed: the generator panicked"))?
            .map_err(|e| Error::internal(format!("key generation failed: {e}")))?;
        self.inner.pool.put(key);
        Ok(())
    }

    fn lane(&self, size: KeySize) -> &Arc<Lane> {
        if size.bits() >= LARGE_BITS {
            &self.inner.large
        } else {
            &self.inner.small
        }
    }

    /// Waits for a place in the size's lane, at most the queue timeout.
    async fn admit(&self, tenant: TenantId, size: KeySize) -> Result<Slot> {
        let lane = self.lane(size);
        let labels = [("lane", lane.name)];
        let waiting = Instant::now();
        match tokio::time::timeout(self.inner.queue_timeout, lane.enter(tenant)).await {
            Ok(slot) => {
                metrics::histogram!("signet_key_generation_queue_seconds", &labels)
                    .record(waiting.elapsed().as_secs_f64());
                slot
            }
            Err(_) => {
                metrics::counter!("signet_key_generation_rejections_total", &labels).increment(1);
                Err(Error::Busy {
                    what: "key generation",
                    retry_after: self.inner.queue_timeout,
                })
            }
        }
    }
}

#[async_trait]
impl KeyGenerator for PooledKeyGenerator {
    async fn generate(&self, tenant: TenantId, spec: KeySpec) -> Result<PrivateKey> {
        let size = match spec {
            KeySpec::Rsa(size) => size,
            KeySpec::Ed25519 => {
                metrics::counter!("signet_key_generations_total", "bits" => spec.bits().to_string())
                    .increment(1);
                return PrivateKey::generate_ed25519()
                    .map_err(|e| Error::internal(format!("key generation failed: {e}")));
            }
        };
        let pool = &self.inner.pool;
        if let Some(key) = pool.take(size) {
            return Ok(key);
        }
        let slot = self.admit(tenant, size).await?;
        // One may have been made while this request waited.
        if let Some(key) = pool.take(size) {
            return Ok(key);
        }
        pool.missed(size);
        let (tx, rx) = oneshot::channel();
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(Ok(key)) = tx.send(generate(size, slot)) {
                // The caller left; the next one gets the key.
                if inner.pool.put(key) {
                    metrics::counter!("signet_key_generations_left_behind_total").increment(1);
                }
            }
        });
        let key = rx
            .await
            .map_err(|_| Error::internal("key generation failed: the generator panicked"))?;
        key.map_err(|e| Error::internal(format!("key generation failed: {e}")))
    }
}

/// Generates a key on this (blocking) thread, then frees its generator.
fn generate<P>(size: KeySize, place: P) -> Result<PrivateKey, InvalidValue> {
    let started = Instant::now();
    let key = rsa_keys::generate(size);
    // Free the place before anything else; the work is done.
    drop(place);
    let labels = [("bits", size.bits().to_string())];
    metrics::counter!("signet_key_generations_total", &labels).increment(1);
    metrics::histogram!("signet_key_generation_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    key
}

/// The generators of one range of sizes, and each tenant's share of them.
#[derive(Debug)]
struct Lane {
    name: &'static str,
    running: Arc<Semaphore>,
    /// Places (running or waiting for `running`) one tenant may hold.
    share: usize,
    /// Only tenants with a request in this lane: an entry goes with the
    /// last request holding it.
    tenants: Mutex<HashMap<TenantId, Arc<Semaphore>>>,
    /// Requests within their share waiting for a generator.
    waiting: AtomicUsize,
}

impl Lane {
    /// At least one generator, and a tenant gets half of them (at least one),
    /// so two tenants can always run side by side.
    fn new(name: &'static str, generators: usize) -> Self {
        let generators = generators.max(1);
        Self {
            name,
            running: Arc::new(Semaphore::new(generators)),
            share: (generators / 2).max(1),
            tenants: Mutex::default(),
            waiting: AtomicUsize::new(0),
        }
    }

    fn tenants(&self) -> MutexGuard<'_, HashMap<TenantId, Arc<Semaphore>>> {
        self.tenants.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tenant's share first, then a generator: a tenant over its share
    /// waits outside the lane's FIFO queue, where it delays nobody else.
    async fn enter(self: &Arc<Self>, tenant: TenantId) -> Result<Slot> {
        let share = self
            .tenants()
            .entry(tenant)
            .or_insert_with(|| Arc::new(Semaphore::new(self.share)))
            .clone();
        let mut ticket = Ticket {
            lane: self.clone(),
            tenant,
            share,
            permit: None,
        };
        ticket.permit = Some(closed_is_internal(
            ticket.share.clone().acquire_owned().await,
        )?);
        let running = {
            let _waiting = Waiting::count(&self.waiting);
            closed_is_internal(self.running.clone().acquire_owned().await)?
        };
        Ok(Slot {
            _running: running,
            _ticket: ticket,
        })
    }
}

impl Lane {
    /// A generator for work nobody waits on (the refill). It queues like a
    /// request, but hands a generator it gets to any request waiting by
    /// then, so a request waits at most for generations already running.
    async fn spare(&self) -> Result<OwnedSemaphorePermit> {
        loop {
            let place = closed_is_internal(self.running.clone().acquire_owned().await)?;
            if self.waiting.load(Ordering::SeqCst) == 0 {
                return Ok(place);
            }
            // The semaphore gives it to the first in its queue: a request.
            drop(place);
            // A request handed a place counts as waiting until it runs.
            tokio::task::yield_now().await;
        }
    }
}

/// A request counted in its lane's `waiting` until it is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn count(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, Ordering::SeqCst);
        Self(waiting)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn closed_is_internal<T>(acquired: Result<T, tokio::sync::AcquireError>) -> Result<T> {
    acquired.map_err(|_| Error::internal("key generator closed"))
}

/// A running generation's place: a generator and one of its tenant's share.
struct Slot {
    _running: OwnedSemaphorePermit,
    _ticket: Ticket,
}

/// A tenant's place in a lane, from the moment it starts waiting.
struct Ticket {
    lane: Arc<Lane>,
    tenant: TenantId,
    share: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.permit.take();
        let mut tenants = self.lane.tenants();
        // Only the map and this ticket hold the share: no request of this
        // tenant runs or waits here any more (clones are made under the lock).
        if Arc::strong_count(&self.share) == 2 {
            tenants.remove(&self.tenant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: TenantId = TenantId(1);
    const B: TenantId = TenantId(2);

    fn size(bits: u32) -> KeySize {
        KeySize::try_from(bits).unwrap()
    }

    fn rsa(bits: u32) -> KeySpec {
        KeySpec::Rsa(size(bits))
    }

    fn unpooled(concurrency: usize, queue_timeout: Duration) -> PooledKeyGenerator {
        PooledKeyGenerator::new(concurrency, queue_timeout, &KeyPool::default())
    }

    fn busy(result: Result<PrivateKey>) -> bool {
        matches!(result, Err(Error::Busy { .. }))
    }

    #[tokio::test]
    async fn keys_come_out_the_size_asked_for_even_when_queued() {
        let generator = unpooled(1, Duration::from_secs(60));
        let (a, b) = tokio::join!(
            generator.generate(A, rsa(512)),
            generator.generate(A, rsa(512))
        );
        assert_eq!(a.unwrap().spec(), rsa(512));
        assert_eq!(b.unwrap().spec(), rsa(512));
        assert_eq!(generator.inner.small.running.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_small_key_never_waits_for_a_full_large_lane() {
        let generator = unpooled(2, Duration::from_millis(200));
        let large = generator.lane(size(8192)).clone();
        let _held = large.running.clone().acquire_owned().await.unwrap();
        assert!(busy(generator.generate(B, rsa(4096)).await));
        let key = generator.generate(B, rsa(2048)).await.unwrap();
        assert_eq!(key.spec(), rsa(2048));
    }

    #[tokio::test]
    async fn an_ed25519_key_needs_no_generator_place() {
        let generator = unpooled(1, Duration::from_millis(50));
        let _small = generator.lane(size(1024)).enter(A).await.unwrap();
        let _large = generator.lane(size(8192)).enter(A).await.unwrap();
        let key = generator.generate(A, KeySpec::Ed25519).await.unwrap();
        assert_eq!(key.spec(), KeySpec::Ed25519);
    }

    #[tokio::test]
    async fn a_tenant_over_its_share_waits_while_another_tenant_goes_ahead() {
        // Two small generators: each tenant may hold one place.
        let generator = unpooled(2, Duration::from_millis(200));
        let small = generator.lane(size(1024)).clone();
        let held = small.enter(A).await.unwrap();
        assert!(busy(generator.generate(A, rsa(1024)).await));
        assert!(generator.generate(B, rsa(1024)).await.is_ok());
        drop(held);
        assert!(generator.generate(A, rsa(1024)).await.is_ok());
        assert!(small.tenants().is_empty(), "idle tenants keep no entry");
    }

    #[tokio::test]
    async fn a_key_finished_after_its_caller_left_serves_the_next_caller_once() {
        let generator = unpooled(1, Duration::from_secs(60));
        // Polled once (the generation starts), then given up.
        let gave_up =
            tokio::time::timeout(Duration::from_micros(1), generator.generate(A, rsa(1024)));
        assert!(gave_up.await.is_err());
        let left_behind = async {
            loop {
                if let Some(key) = generator.inner.pool.take(size(1024)) {
                    return key;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let left_behind = tokio::time::timeout(Duration::from_secs(30), left_behind)
            .await
            .expect("the abandoned key is kept");
        let public = left_behind.public_key();
        assert!(generator.inner.pool.put(left_behind));

        let first = generator.generate(B, rsa(1024)).await.unwrap();
        assert_eq!(first.public_key(), public);
        let second = generator.generate(B, rsa(1024)).await.unwrap();
        assert_ne!(second.public_key(), public);
        assert!(generator.inner.pool.take(size(1024)).is_none());
    }

    #[tokio::test]
    async fn the_refill_keeps_each_pooled_size_at_its_depth() {
        let pool = KeyPool::parse("512:2,520:1").unwrap();
        let generator = PooledKeyGenerator::new(1, Duration::from_secs(60), &pool);
        let refill = tokio::spawn(generator.clone().refill());
        let full = || async {
            while generator.inner.pool.wanted().is_some() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), full())
            .await
            .expect("the pool fills");

        let key = generator.generate(A, rsa(512)).await.unwrap();
        assert_eq!(generator.inner.pool.wanted(), Some(size(512)));
        tokio::time::timeout(Duration::from_secs(30), full())
            .await
            .expect("the taken key is replaced");
        let left: Vec<_> = (0..2)
            .map(|_| generator.inner.pool.take(size(512)).unwrap().public_key())
            .collect();
        assert!(!left.contains(&key.public_key()), "the taken key is gone");
        assert_ne!(left[0], left[1]);
        refill.abort();
    }

    #[tokio::test]
    async fn the_refill_hands_a_generator_to_a_request_that_waits() {
        let generator = unpooled(1, Duration::from_secs(60));
        let small = generator.lane(size(1024)).clone();
        let held = small.enter(A).await.unwrap();
        // The refill queues for the one generator first...
        let spare = tokio::spawn({
            let small = small.clone();
            async move { small.spare().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // ... and a request after it.
        let request = tokio::spawn({
            let small = small.clone();
            async move { small.enter(B).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(small.waiting.load(Ordering::SeqCst), 1);

        drop(held);
        let slot = tokio::time::timeout(Duration::from_secs(1), request)
            .await
            .expect("the request gets the generator first")
            .unwrap()
            .unwrap();
        assert_eq!(small.waiting.load(Ordering::SeqCst), 0);
        assert!(!spare.is_finished());
        drop(slot);
        let place = tokio::time::timeout(Duration::from_secs(1), spare).await;
        assert!(place.expect("then the refill gets it").unwrap().is_ok());
    }
}
