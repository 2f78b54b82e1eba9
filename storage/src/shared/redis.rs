//! Redis adapters for the shared-state operations. Each method reports Redis
//! errors instead of hiding them: [`super::SharedState`] decides what to do
//! when Redis fails (answer from the in-process equivalents).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Client, ExistenceCheck, RedisResult, Script, SetExpiry, SetOptions};
use ring::rand::{SecureRandom as _, SystemRandom};
use signet_domain::shared_state::RateDecision;

use super::RateLimitSettings;

/// Connects to Redis with a connection manager that fails fast: one attempt
/// per (re)connection and `timeout` per connection and per response, so an
/// outage costs each caller at most `timeout`. The manager reconnects by
/// itself after a dropped connection.
pub async fn connect(client: &Client, timeout: Duration) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(timeout)
        .set_response_timeout(timeout);
    ConnectionManager::new_with_config(client.clone(), config).await
}

/// Whole milliseconds, at least one: Redis refuses a zero expiry.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Values under `{prefix}cache:{key}`, expiring with `SET ... PX`.
#[derive(Clone)]
pub struct RedisCache {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisCache {
    /// A cache over `conn` whose keys start with `prefix` (such as `signet:`).
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}cache:"),
        }
    }

    /// The value under `key`, if present and not expired.
    pub async fn get(&self, key: &str) -> RedisResult<Option<String>> {
        let key = format!("{}{key}", self.prefix);
        self.conn.clone().get(key).await
    }

    /// Stores `value` under `key` for `ttl`.
    pub async fn put(&self, key: &str, value: &str, ttl: Duration) -> RedisResult<()> {
        let key = format!("{}{key}", self.prefix);
        let options = SetOptions::default().with_expiration(SetExpiry::PX(millis(ttl)));
        self.conn.clone().set_options(key, value, options).await
    }
}

/// A token bucket in one hash `{tokens, ts}`, updated atomically with the
/// server's clock (so nodes with skewed clocks still agree). Tokens refill by
/// the milliseconds elapsed; the key expires once the bucket would be full
/// again, which is the same as not existing.
const TAKE_TOKEN: &str = r"
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local allowed = 0
local retry_after = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry_after = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / per_ms) + 1)
return {allowed, math.floor(tokens), retry_after}
";

/// Token buckets under `{prefix}rl:{bucket}`, shared by every node using the
/// same Redis and prefix.
#[derive(Clone)]
pub struct RedisRateLimiter {
    conn: ConnectionManager,
    prefix: String,
    limits: RateLimitSettings,
    script: Script,
}

impl RedisRateLimiter {
    /// Buckets over `conn` with keys starting with `prefix`.
    pub fn new(conn: ConnectionManager, prefix: &str, limits: RateLimitSettings) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}rl:"),
            limits,
            script: Script::new(TAKE_TOKEN),
        }
    }

    /// Takes one token from `bucket`.
    pub async fn take(&self, bucket: &str) -> RedisResult<RateDecision> {
        let per_ms = self.limits.refill_per_second() / 1000.0;
        let (allowed, remaining, retry_after_ms): (i64, i64, i64) = self
            .script
            .key(format!("{}{bucket}", self.prefix))
            .arg(self.limits.capacity())
            .arg(per_ms.to_string())
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(RateDecision {
            allowed: allowed == 1,
            limit: self.limits.capacity(),
            remaining: u32::try_from(remaining).unwrap_or(0),
            retry_after: Duration::from_millis(u64::try_from(retry_after_ms).unwrap_or(0)),
        })
    }
}

/// Leases under `{prefix}lease:{name}`, taken with `SET NX PX`.
#[derive(Clone)]
pub struct RedisLeases {
    conn: ConnectionManager,
    prefix: String,
    holder: String,
}

impl RedisLeases {
    /// Leases over `conn` with keys starting with `prefix`. The value stored
    /// names this instance, for whoever inspects Redis.
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}lease:"),
            holder: random_holder(),
        }
    }

    /// Takes the lease `name` for `ttl` unless someone holds it.
    pub async fn try_acquire(&self, name: &str, ttl: Duration) -> RedisResult<bool> {
        let key = format!("{}{name}", self.prefix);
        let options = SetOptions::default()
            .conditional_set(ExistenceCheck::NX)
            .with_expiration(SetExpiry::PX(millis(ttl)));
        let set: Option<String> = self
            .conn
            .clone()
            .set_options(key, &self.holder, options)
            .await?;
        Ok(set.is_some())
    }

    /// Deletes the lease `name` if this instance holds it (compared and
    /// deleted in one step, so a lease that expired and was taken by
    /// another holder stays).
    pub async fn release(&self, name: &str) -> RedisResult<()> {
        let key = format!("{}{name}", self.prefix);
        let _: i64 = Script::new(RELEASE_LEASE)
            .key(key)
            .arg(&self.holder)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }
}

/// Deletes KEYS[1] if it holds ARGV[1].
const RELEASE_LEASE: &str = r#"
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
"#;

/// 16 random hex digits from the operating system's random source, naming
/// this instance in the leases it holds.
fn random_holder() -> String {
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random source");
    format!("{:016x}", u64::from_be_bytes(bytes))
}
