//! RSA generation on blocking threads, shared fairly between tenants, so a
//! slow 8192-bit key never stalls the request loop nor anyone else's key.
//!
//! Two lanes: below 4096 bits a key takes well under a second; from 4096 bits
//! it takes seconds to a minute. Each lane has its own generators, so a burst
//! of large keys never queues a small one. Within a lane a tenant holds at
//! most a share of the running *and* waiting places, so its burst waits
//! behind its own requests, not in front of everyone else's. A wait longer
//! than the queue timeout is answered `Busy`. A key that finishes after its
//! caller left (timeout, client gone) is stashed for the next request of its
//! size: its CPU time is never thrown away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use signet_domain::ports::KeyGenerator;
use signet_domain::{Error, KeySize, PrivateKey, Result, TenantId};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Sizes from here on run in the large lane.
const LARGE_BITS: u32 = 4096;
/// Keys kept per size for later callers; more are dropped (and wiped).
const STASH_PER_SIZE: usize = 2;

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
    stash: Stash,
}

impl PooledKeyGenerator {
    /// `concurrency` small keys (at least one) and half as many large ones
    /// (at least one) at once: large keys hold a core for up to a minute, so
    /// they may take at most half the cores, and small keys always find one
    /// to share. A request waits at most `queue_timeout` for its turn.
    pub fn new(concurrency: usize, queue_timeout: Duration) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            inner: Arc::new(Inner {
                small: Arc::new(Lane::new("small", concurrency)),
                large: Arc::new(Lane::new("large", concurrency / 2)),
                queue_timeout,
                stash: Stash::default(),
            }),
        }
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

    fn stashed(&self, size: KeySize) -> Option<PrivateKey> {
        let key = self.inner.stash.take(size)?;
        metrics::counter!("signet_key_generation_stash_total", "event" => "taken").increment(1);
        Some(key)
    }
}

#[async_trait]
impl KeyGenerator for PooledKeyGenerator {
    async fn generate(&self, tenant: TenantId, size: KeySize) -> Result<PrivateKey> {
        if let Some(key) = self.stashed(size) {
            return Ok(key);
        }
        let slot = self.admit(tenant, size).await?;
        // One may have been stashed while this request waited.
        if let Some(key) = self.stashed(size) {
            return Ok(key);
        }
        let (tx, rx) = oneshot::channel();
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let key = PrivateKey::generate(size);
            // Free the place before anything else; the work is done.
            drop(slot);
            let labels = [("bits", size.bits().to_string())];
            metrics::counter!("signet_key_generations_total", &labels).increment(1);
            metrics::histogram!("signet_key_generation_duration_seconds", &labels)
                .record(started.elapsed().as_secs_f64());
            if let Err(Ok(key)) = tx.send(key) {
                // The caller left; the next one gets the key.
                inner.stash.put(key);
                metrics::counter!("signet_key_generation_stash_total", "event" => "stored")
                    .increment(1);
            }
        });
        let key = rx
            .await
            .map_err(|_| Error::internal("key generation failed: the generator panicked"))?;
        key.map_err(|e| Error::internal(format!("key generation failed: {e}")))
    }
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
        let running = closed_is_internal(self.running.clone().acquire_owned().await)?;
        Ok(Slot {
            _running: running,
            _ticket: ticket,
        })
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

/// Keys whose caller left before they were ready, a few per size.
#[derive(Debug, Default)]
struct Stash(Mutex<HashMap<KeySize, Vec<PrivateKey>>>);

impl Stash {
    fn keys(&self) -> MutexGuard<'_, HashMap<KeySize, Vec<PrivateKey>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn put(&self, key: PrivateKey) {
        let mut keys = self.keys();
        let kept = keys.entry(key.size()).or_default();
        if kept.len() < STASH_PER_SIZE {
            kept.push(key);
        }
    }

    /// Removes the key it returns, so no key is handed out twice.
    fn take(&self, size: KeySize) -> Option<PrivateKey> {
        let mut keys = self.keys();
        let kept = keys.get_mut(&size)?;
        let key = kept.pop();
        if kept.is_empty() {
            keys.remove(&size);
        }
        key
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

    fn busy(result: Result<PrivateKey>) -> bool {
        matches!(result, Err(Error::Busy { .. }))
    }

    #[tokio::test]
    async fn keys_come_out_the_size_asked_for_even_when_queued() {
        let generator = PooledKeyGenerator::new(1, Duration::from_secs(60));
        let (a, b) = tokio::join!(
            generator.generate(A, size(512)),
            generator.generate(A, size(512))
        );
        assert_eq!(a.unwrap().size(), size(512));
        assert_eq!(b.unwrap().size(), size(512));
        assert_eq!(generator.inner.small.running.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_small_key_never_waits_for_a_full_large_lane() {
        let generator = PooledKeyGenerator::new(2, Duration::from_millis(200));
        let large = generator.lane(size(8192)).clone();
        let _held = large.running.clone().acquire_owned().await.unwrap();
        assert!(busy(generator.generate(B, size(4096)).await));
        let key = generator.generate(B, size(2048)).await.unwrap();
        assert_eq!(key.size(), size(2048));
    }

    #[tokio::test]
    async fn a_tenant_over_its_share_waits_while_another_tenant_goes_ahead() {
        // Two small generators: each tenant may hold one place.
        let generator = PooledKeyGenerator::new(2, Duration::from_millis(200));
        let small = generator.lane(size(1024)).clone();
        let held = small.enter(A).await.unwrap();
        assert!(busy(generator.generate(A, size(1024)).await));
        assert!(generator.generate(B, size(1024)).await.is_ok());
        drop(held);
        assert!(generator.generate(A, size(1024)).await.is_ok());
        assert!(small.tenants().is_empty(), "idle tenants keep no entry");
    }

    #[tokio::test]
    async fn a_key_finished_after_its_caller_left_serves_the_next_caller_once() {
        let generator = PooledKeyGenerator::new(1, Duration::from_secs(60));
        // Polled once (the generation starts), then given up.
        let gave_up =
            tokio::time::timeout(Duration::from_micros(1), generator.generate(A, size(1024)));
        assert!(gave_up.await.is_err());
        let stashed = async {
            while generator.inner.stash.keys().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), stashed)
            .await
            .expect("the abandoned key is stashed");
        let public = |key: &PrivateKey| key.public_key().0;
        let stashed = generator.inner.stash.keys()[&size(1024)][0].clone();

        let first = generator.generate(B, size(1024)).await.unwrap();
        assert_eq!(public(&first), public(&stashed));
        let second = generator.generate(B, size(1024)).await.unwrap();
        assert_ne!(public(&second), public(&stashed));
        assert!(generator.inner.stash.keys().is_empty());
    }
}
