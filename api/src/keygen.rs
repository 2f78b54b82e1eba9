//! RSA generation on blocking threads, a bounded number at a time, so a slow
//! 8192-bit key never stalls the request loop.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use signet_domain::ports::KeyGenerator;
use signet_domain::{Error, KeySize, PrivateKey, Result};
use tokio::sync::Semaphore;

/// The [`KeyGenerator`] port over tokio's blocking pool.
#[derive(Debug, Clone)]
pub struct PooledKeyGenerator {
    permits: Arc<Semaphore>,
}

impl PooledKeyGenerator {
    /// Allows `concurrency` generations at once (at least one); the rest wait.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }
}

#[async_trait]
impl KeyGenerator for PooledKeyGenerator {
    async fn generate(&self, size: KeySize) -> Result<PrivateKey> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("key generator closed".into()))?;
        let bits = size.bits().to_string();
        let key = tokio::task::spawn_blocking(move || {
            // The permit lives as long as the work, even if the request that
            // asked for it is dropped (timeout, client gone).
            let _permit = permit;
            let started = Instant::now();
            let key = PrivateKey::generate(size);
            let labels = [("bits", bits)];
            metrics::counter!("signet_key_generations_total", &labels).increment(1);
            metrics::histogram!("signet_key_generation_duration_seconds", &labels)
                .record(started.elapsed().as_secs_f64());
            key
        })
        .await
        .map_err(|e| Error::Internal(format!("key generation failed: {e}")))?;
        key.map_err(|e| Error::Internal(format!("key generation failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_come_out_the_size_asked_for_even_when_queued() {
        let generator = PooledKeyGenerator::new(1);
        let size = KeySize::try_from(512u32).unwrap();
        let (a, b) = tokio::join!(generator.generate(size), generator.generate(size));
        assert_eq!(a.unwrap().size(), size);
        assert_eq!(b.unwrap().size(), size);
        assert_eq!(generator.permits.available_permits(), 1);
    }
}
