//! Redis for the tests: the shared one from the environment, or a private
//! `redis-server` (from the testkit) that a test may kill and restart.

use std::time::Duration;

use redis::aio::ConnectionManager;
use signet_storage::shared::redis::connect;
use signet_storage::shared::{RateLimitSettings, SharedSettings};
pub use signet_testkit::eventually;
pub use signet_testkit::redis_server::{free_port, loopback_url, unique_prefix};
pub use signet_testkit::PrivateRedis;
use signet_testkit::RedisConfig;

/// `SIGNET_TEST_REDIS_URL`, or `None` (the test skips) when unset outside CI.
pub fn redis_url() -> Option<String> {
    RedisConfig::from_env().map(|redis| redis.url)
}

/// A connection to `url`, failing the test if Redis does not answer.
pub async fn connection(url: &str) -> ConnectionManager {
    let client = redis::Client::open(url).expect("a valid Redis URL");
    connect(&client, Duration::from_secs(2))
        .await
        .unwrap_or_else(|e| panic!("Redis at {url} is unreachable: {e}"))
}

/// While Redis is down, one call per this interval probes it.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// Settings for tests: a unique prefix and quick probes.
pub fn settings(url: &str, limits: RateLimitSettings) -> SharedSettings {
    let mut settings = SharedSettings::new(Some(url), limits);
    settings.key_prefix = unique_prefix();
    settings.probe_interval = PROBE_INTERVAL;
    settings
}
