//! Ports for state shared by every node: a TTL cache, rate limits,
//! cluster-wide leases and announcements of tenant changes. Redis implements
//! them when configured; in-process equivalents keep a single node running
//! alone.

use std::time::Duration;

use async_trait::async_trait;

use crate::tenant::TenantId;

/// Short-lived shared values, such as DNS answers.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value under `key`, if present and not expired.
    async fn get(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key` for `ttl`.
    async fn put(&self, key: &str, value: &str, ttl: Duration);
}

/// The outcome of asking a rate limiter for one request's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// The bucket's capacity.
    pub limit: u32,
    /// Tokens left after this request.
    pub remaining: u32,
    /// When refused: how long until a token is available.
    pub retry_after: Duration,
}

/// Token buckets, one per caller (API key), shared by every node.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes one token from `bucket`.
    async fn take(&self, bucket: &str) -> RateDecision;
}

/// Cluster-wide leases, so one node does each periodic job.
#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes the lease `name` for `ttl` unless another holder has it.
    async fn try_acquire(&self, name: &str, ttl: Duration) -> bool;

    /// Gives up the lease `name` if this holder has it, so the next pass,
    /// here or on another node, may take it at once. Best effort: a lease
    /// not given up expires with its `ttl`.
    async fn release(&self, name: &str) {
        let _ = name;
    }
}

/// Tells every node that a tenant's API keys or settings changed, so each
/// drops what it cached about the tenant.
#[async_trait]
pub trait TenantChanges: Send + Sync {
    /// Announces a change to `tenant`. Best effort: a node that misses the
    /// announcement still sees the change once its cache entries expire.
    async fn publish(&self, tenant: TenantId);
}

/// What a node does with announced changes: its authentication cache.
pub trait TenantChangeListener: Send + Sync {
    /// `tenant` changed.
    fn changed(&self, tenant: TenantId);
    /// Announcements may have been missed (the channel was down).
    fn missed(&self);
}

/// Several listeners heard as one: the authentication cache and the fleet
/// feed cache both forget what a change makes stale.
pub struct Listeners(pub Vec<std::sync::Arc<dyn TenantChangeListener>>);

impl TenantChangeListener for Listeners {
    fn changed(&self, tenant: TenantId) {
        for listener in &self.0 {
            listener.changed(tenant);
        }
    }

    fn missed(&self) {
        for listener in &self.0 {
            listener.missed();
        }
    }
}

/// Tells this node's listeners at once, then the other nodes: so a change
/// made here holds here on the next request, whatever the channel does.
pub struct HereAndAway {
    /// This node's caches.
    pub here: std::sync::Arc<dyn TenantChangeListener>,
    /// The announcement to the others.
    pub away: std::sync::Arc<dyn TenantChanges>,
}

#[async_trait]
impl TenantChanges for HereAndAway {
    async fn publish(&self, tenant: TenantId) {
        self.here.changed(tenant);
        self.away.publish(tenant).await;
    }
}
