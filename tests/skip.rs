//! Saying that a test skipped, where `cargo test` shows it.

pub use signet_testkit::skip;

use crate::RedisConfig;

/// The Redis at `SIGNET_TEST_REDIS_URL`, or a skip said aloud (by
/// [`RedisConfig::from_env`]).
pub fn redis_or_skip() -> Option<RedisConfig> {
    RedisConfig::from_env()
}
