//! Saying that a test skipped, where `cargo test` shows it.

use std::io::Write as _;

use crate::RedisConfig;

/// Writes `SKIPPED <test>: <reason>` straight to stderr: the test harness
/// captures `eprintln!` of passing tests, so a skip would otherwise pass as a
/// silent `ok`.
pub fn skip(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// The Redis at `SIGNET_TEST_REDIS_URL`, or a skip said aloud.
pub fn redis_or_skip() -> Option<RedisConfig> {
    let redis = RedisConfig::from_env();
    if redis.is_none() {
        skip("SIGNET_TEST_REDIS_URL is not set");
    }
    redis
}
