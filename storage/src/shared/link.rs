//! The connection to Redis as seen by the fallback adapters: whether Redis is
//! up, when to try it again while it is down, and the adapters over it.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use redis::aio::ConnectionManager;
use redis::{AsyncCommands as _, Client, RedisResult};
use signet_domain::TenantId;
use tokio::time::Instant;

use super::changes::{self, Subscriber};
use super::redis::{connect, RedisCache, RedisLeases, RedisRateLimiter};
use super::{SharedHealth, SharedSettings};

/// The Redis adapters over one connection.
pub(super) struct RedisAdapters {
    conn: ConnectionManager,
    changes_channel: String,
    pub cache: RedisCache,
    pub rate_limiter: RedisRateLimiter,
    pub leases: RedisLeases,
}

impl RedisAdapters {
    async fn ping(&self) -> RedisResult<()> {
        redis::cmd("PING").query_async(&mut self.conn.clone()).await
    }

    /// Announces a change to `tenant` to every subscribed node.
    pub async fn publish_change(&self, tenant: TenantId) -> RedisResult<()> {
        self.conn
            .clone()
            .publish(&self.changes_channel, tenant.0)
            .await
    }
}

enum Status {
    Up,
    /// Calls skip Redis except one probe per interval.
    Down {
        reason: String,
        next_probe: Instant,
    },
}

/// Redis, with outage bookkeeping: every call either reaches Redis within
/// the timeout or tells its caller to use the in-process equivalent.
pub(super) struct Link {
    client: Client,
    settings: SharedSettings,
    /// Dropped after any failure, so the probe that ends an outage starts
    /// from a fresh connection rather than a stale or half-open one.
    adapters: Mutex<Option<Arc<RedisAdapters>>>,
    status: Mutex<Status>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Link {
    /// A link to `client`; nothing is connected until the first call.
    pub fn new(client: Client, settings: SharedSettings) -> Self {
        Self {
            client,
            settings,
            adapters: Mutex::new(None),
            status: Mutex::new(Status::Up),
        }
    }

    /// Redis when the last call reached it, otherwise why not.
    pub fn health(&self) -> SharedHealth {
        match &*lock(&self.status) {
            Status::Up => SharedHealth::Redis,
            Status::Down { reason, .. } => SharedHealth::Degraded(reason.clone()),
        }
    }

    /// Pings Redis (if a call may go to Redis now) and returns the health.
    pub async fn check(&self) -> SharedHealth {
        self.call(|redis| async move { redis.ping().await }).await;
        self.health()
    }

    /// Runs `op` against Redis unless Redis is down and no probe is due.
    /// `None` means Redis was skipped or failed: the caller answers locally.
    pub async fn call<T, F, Fut>(&self, op: F) -> Option<T>
    where
        F: FnOnce(Arc<RedisAdapters>) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if !self.admit() {
            return None;
        }
        let attempt = async {
            let adapters = self.adapters().await?;
            op(adapters).await
        };
        match tokio::time::timeout(self.settings.timeout, attempt).await {
            Ok(Ok(answer)) => {
                self.succeeded();
                Some(answer)
            }
            Ok(Err(error)) => {
                self.failed(error.to_string());
                None
            }
            Err(_) => {
                let timeout = self.settings.timeout;
                self.failed(format!("timed out after {timeout:?}"));
                None
            }
        }
    }

    /// Whether this call may go to Redis; while down, only one call per
    /// probe interval does, so an outage does not slow every request.
    fn admit(&self) -> bool {
        let mut status = lock(&self.status);
        match &mut *status {
            Status::Up => true,
            Status::Down { next_probe, .. } => {
                let now = Instant::now();
                if now < *next_probe {
                    return false;
                }
                *next_probe = now + self.settings.probe_interval;
                true
            }
        }
    }

    fn succeeded(&self) {
        let mut status = lock(&self.status);
        if let Status::Down { reason, .. } = &*status {
            tracing::info!(outage = %reason, "Redis is reachable again; shared state is back on Redis");
            *status = Status::Up;
        }
    }

    fn failed(&self, reason: String) {
        *lock(&self.adapters) = None;
        let mut status = lock(&self.status);
        if let Status::Up = *status {
            tracing::warn!(
                %reason,
                "Redis is unavailable; using in-process fallbacks until it returns"
            );
            let next_probe = Instant::now() + self.settings.probe_interval;
            *status = Status::Down { reason, next_probe };
        }
    }

    /// A subscriber to the tenant changes announced on this Redis, on a
    /// connection of its own (a subscribed connection can do nothing else).
    pub fn change_subscriber(&self) -> Subscriber {
        Subscriber {
            client: self.client.clone(),
            channel: changes::channel(&self.settings.key_prefix),
            timeout: self.settings.timeout,
        }
    }

    async fn adapters(&self) -> RedisResult<Arc<RedisAdapters>> {
        if let Some(adapters) = lock(&self.adapters).clone() {
            return Ok(adapters);
        }
        let conn = connect(&self.client, self.settings.timeout).await?;
        let prefix = &self.settings.key_prefix;
        let adapters = Arc::new(RedisAdapters {
            conn: conn.clone(),
            changes_channel: changes::channel(prefix),
            cache: RedisCache::new(conn.clone(), prefix),
            rate_limiter: RedisRateLimiter::new(conn.clone(), prefix, self.settings.limits),
            leases: RedisLeases::new(conn, prefix),
        });
        *lock(&self.adapters) = Some(adapters.clone());
        Ok(adapters)
    }
}
