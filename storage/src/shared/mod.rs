//! Adapters for the shared-state ports ([`Cache`], [`RateLimiter`],
//! [`Leases`], [`TenantChanges`]): in-process ones for a node running alone, Redis ones for
//! several nodes, and [`SharedState`], which picks between them and keeps
//! serving through a Redis outage.

mod changes;
mod link;
pub mod local;
pub mod redis;
mod resilient;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use signet_domain::shared_state::{
    Cache, Leases, RateLimiter, TenantChangeListener, TenantChanges,
};

pub use self::changes::{ChangeSubscription, LocalTenantChanges};
use self::link::Link;
pub use self::local::{LocalCache, LocalLeases, LocalRateLimiter};
pub use self::redis::{RedisCache, RedisLeases, RedisRateLimiter};
use self::resilient::{RedisTenantChanges, ResilientCache, ResilientLeases, ResilientRateLimiter};

/// The size of every rate-limit token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitSettings {
    capacity: u32,
    refill_per_second: f64,
}

impl RateLimitSettings {
    /// Buckets of `capacity` tokens (at least 1) refilled at
    /// `refill_per_second` (at least 0.001, one token every ~17 minutes, so a
    /// bucket always refills eventually).
    pub fn new(capacity: u32, refill_per_second: f64) -> Self {
        let refill_per_second = if refill_per_second.is_nan() {
            MIN_REFILL_PER_SECOND
        } else {
            refill_per_second.max(MIN_REFILL_PER_SECOND)
        };
        Self {
            capacity: capacity.max(1),
            refill_per_second,
        }
    }

    /// Tokens in a full bucket: the burst allowed.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Tokens added per second: the sustained rate allowed.
    pub fn refill_per_second(&self) -> f64 {
        self.refill_per_second
    }
}

const MIN_REFILL_PER_SECOND: f64 = 0.001;

/// How [`SharedState`] connects; [`SharedSettings::new`] fills the defaults.
#[derive(Clone)]
pub struct SharedSettings {
    /// `redis://...`; `None` for in-process state only.
    pub redis_url: Option<String>,
    /// Prepended to every Redis key (default `signet:`).
    pub key_prefix: String,
    /// Rate-limit buckets, for Redis and the in-process fallback alike.
    pub limits: RateLimitSettings,
    /// The longest a call waits for Redis before answering locally (250 ms).
    pub timeout: Duration,
    /// While Redis is down, at most one call per interval tries it (1 s).
    pub probe_interval: Duration,
    /// The in-process cache's size bound (10,000 entries).
    pub local_cache_entries: usize,
}

impl SharedSettings {
    /// Defaults for everything but the URL and the limits.
    pub fn new(redis_url: Option<&str>, limits: RateLimitSettings) -> Self {
        Self {
            redis_url: redis_url.map(str::to_owned),
            key_prefix: "signet:".to_owned(),
            limits,
            timeout: Duration::from_millis(250),
            probe_interval: Duration::from_secs(1),
            local_cache_entries: 10_000,
        }
    }
}

/// Where shared state lives right now, for `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedHealth {
    /// No Redis configured: in-process state, by design.
    Local,
    /// Redis configured and answering.
    Redis,
    /// Redis configured but failing (the reason); serving from in-process
    /// fallbacks and probing Redis until it answers again.
    Degraded(String),
}

impl fmt::Display for SharedHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local => f.write_str("local"),
            Self::Redis => f.write_str("redis"),
            Self::Degraded(reason) => write!(f, "degraded: {reason}"),
        }
    }
}

/// The configured Redis URL does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid Redis URL")]
pub struct InvalidRedisUrl(#[source] ::redis::RedisError);

/// The shared-state ports as the composition root hands them out: on Redis
/// when configured (with per-call fallback to in-process state), otherwise
/// in-process only.
#[derive(Clone)]
pub struct SharedState {
    cache: Arc<dyn Cache>,
    rate_limiter: Arc<dyn RateLimiter>,
    leases: Arc<dyn Leases>,
    tenant_changes: Arc<dyn TenantChanges>,
    link: Option<Arc<Link>>,
}

impl SharedState {
    /// [`SharedState::connect_with`] with default settings.
    pub async fn connect(
        redis_url: Option<&str>,
        limits: RateLimitSettings,
    ) -> Result<Self, InvalidRedisUrl> {
        Self::connect_with(SharedSettings::new(redis_url, limits)).await
    }

    /// Builds the ports. With a Redis URL, tries Redis once (bounded by the
    /// timeout) and starts degraded if it is down: only a malformed URL fails.
    pub async fn connect_with(settings: SharedSettings) -> Result<Self, InvalidRedisUrl> {
        let local_cache = LocalCache::new(settings.local_cache_entries);
        let local_limiter = LocalRateLimiter::new(settings.limits);
        let Some(url) = settings.redis_url.as_deref() else {
            return Ok(Self {
                cache: Arc::new(local_cache),
                rate_limiter: Arc::new(local_limiter),
                leases: Arc::new(LocalLeases::new()),
                tenant_changes: Arc::new(LocalTenantChanges),
                link: None,
            });
        };
        let client = ::redis::Client::open(url).map_err(InvalidRedisUrl)?;
        let link = Arc::new(Link::new(client, settings));
        link.check().await;
        Ok(Self {
            cache: Arc::new(ResilientCache {
                link: link.clone(),
                local: local_cache,
            }),
            rate_limiter: Arc::new(ResilientRateLimiter {
                link: link.clone(),
                local: local_limiter,
            }),
            leases: Arc::new(ResilientLeases {
                link: link.clone(),
                local: LocalLeases::new(),
            }),
            tenant_changes: Arc::new(RedisTenantChanges { link: link.clone() }),
            link: Some(link),
        })
    }

    /// The shared cache (DNS answers).
    pub fn cache(&self) -> Arc<dyn Cache> {
        self.cache.clone()
    }

    /// The shared per-API-key rate limiter.
    pub fn rate_limiter(&self) -> Arc<dyn RateLimiter> {
        self.rate_limiter.clone()
    }

    /// Cluster-wide leases for periodic jobs.
    pub fn leases(&self) -> Arc<dyn Leases> {
        self.leases.clone()
    }

    /// Where changes to a tenant are announced to the other nodes.
    pub fn tenant_changes(&self) -> Arc<dyn TenantChanges> {
        self.tenant_changes.clone()
    }

    /// Hands the changes other nodes announce to `listener` until the
    /// returned subscription drops; `None` without Redis, where no other
    /// node announces anything. Subscribes before returning when Redis
    /// answers within the timeout, and keeps trying in the background when
    /// it does not.
    pub async fn listen_for_tenant_changes(
        &self,
        listener: Arc<dyn TenantChangeListener>,
    ) -> Option<ChangeSubscription> {
        let link = self.link.as_ref()?;
        Some(link.change_subscriber().start(listener).await)
    }

    /// The health as of the last call to Redis; never waits.
    pub fn health(&self) -> SharedHealth {
        match &self.link {
            None => SharedHealth::Local,
            Some(link) => link.health(),
        }
    }

    /// Pings Redis when a call may go to it now (always while healthy, once
    /// per probe interval while degraded), then reports the health. Lets
    /// `/readyz` notice an outage or a recovery without other traffic.
    pub async fn check(&self) -> SharedHealth {
        match &self.link {
            None => SharedHealth::Local,
            Some(link) => link.check().await,
        }
    }
}
