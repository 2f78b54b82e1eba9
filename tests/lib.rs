//! Test support: start the real server, a loopback DNS server, typed clients.

pub mod app;

pub use app::*;
pub use signet_testkit::{dns_server, redis_server, PrivateRedis, RedisConfig, TestDns};
