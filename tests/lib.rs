//! Test support: start the real server, a loopback DNS server, typed clients.

pub mod app;
pub mod dialect;
pub mod dkimpy;
pub mod fixtures;
pub mod skip;

pub use app::*;
pub use signet_testkit::postgres::{postgres_url, POSTGRES_URL_VAR};
pub use signet_testkit::{
    dns_server, eventually, redis_server, tcp_proxy, within, PrivateRedis, RedisConfig, TestDns,
};
pub use skip::skip;
