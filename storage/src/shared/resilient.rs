//! Port implementations that use Redis when it answers and the in-process
//! equivalents when it does not, call by call.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use signet_domain::shared_state::{Cache, Leases, RateDecision, RateLimiter, TenantChanges};
use signet_domain::TenantId;

use super::link::Link;
use super::local::{LocalCache, LocalLeases, LocalRateLimiter};

/// [`Cache`] on Redis, falling back to a [`LocalCache`].
pub(super) struct ResilientCache {
    pub link: Arc<Link>,
    pub local: LocalCache,
}

#[async_trait]
impl Cache for ResilientCache {
    async fn get(&self, key: &str) -> Option<String> {
        match self
            .link
            .call(|redis| async move { redis.cache.get(key).await })
            .await
        {
            Some(answer) => answer,
            None => self.local.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) {
        let stored = self
            .link
            .call(|redis| async move { redis.cache.put(key, value, ttl).await })
            .await;
        if stored.is_none() {
            self.local.put(key, value, ttl).await;
        }
    }
}

/// [`RateLimiter`] on Redis, falling back to a [`LocalRateLimiter`] (so
/// during an outage each node counts on its own).
pub(super) struct ResilientRateLimiter {
    pub link: Arc<Link>,
    pub local: LocalRateLimiter,
}

#[async_trait]
impl RateLimiter for ResilientRateLimiter {
    async fn take(&self, bucket: &str) -> RateDecision {
        let taken = self
            .link
            .call(|redis| async move { redis.rate_limiter.take(bucket).await })
            .await;
        match taken {
            Some(decision) => decision,
            None => self.local.take(bucket).await,
        }
    }
}

/// [`Leases`] on Redis, falling back to [`LocalLeases`] (so during an outage
/// each node may run a periodic job).
pub(super) struct ResilientLeases {
    pub link: Arc<Link>,
    pub local: LocalLeases,
}

#[async_trait]
impl Leases for ResilientLeases {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> bool {
        let acquired = self
            .link
            .call(|redis| async move { redis.leases.try_acquire(name, ttl).await })
            .await;
        match acquired {
            Some(acquired) => acquired,
            None => self.local.try_acquire(name, ttl).await,
        }
    }

    async fn release(&self, name: &str) {
        self.local.release(name).await;
        self.link
            .call(|redis| async move { redis.leases.release(name).await })
            .await;
    }
}

/// [`TenantChanges`] on Redis, within the link's timeout; a failure is
/// logged and otherwise ignored, since the other nodes' TTL still holds.
pub(super) struct RedisTenantChanges {
    pub link: Arc<Link>,
}

#[async_trait]
impl TenantChanges for RedisTenantChanges {
    async fn publish(&self, tenant: TenantId) {
        let published = self
            .link
            .call(|redis| async move { redis.publish_change(tenant).await })
            .await;
        if published.is_none() {
            tracing::warn!(
                %tenant,
                "cannot announce the change on Redis; other nodes see it when their cached \
                 credentials expire"
            );
        }
    }
}
