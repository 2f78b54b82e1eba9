//! The sweep of the read model of the keys: the versions of every tenant it
//! holds, checked in one statement every `sweep_interval`, so a change made
//! on another node (announced or not) drops the snapshot it makes stale.

use std::sync::Arc;
use std::time::Duration;

use signet_domain::key_cache::CachedKeys;

/// Sweeps forever; the server aborts it. A failed pass is logged and the
/// next one tries again (reads check versions themselves meanwhile).
pub async fn sweep(keys: Arc<CachedKeys>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = keys.sweep().await {
            tracing::warn!(error = %e, "cannot check the versions of the keys held in memory");
        }
    }
}
