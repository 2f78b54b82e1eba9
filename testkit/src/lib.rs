//! Services Signet's tests run against, shared by the black-box tests (the
//! `tests` crate) and the multi-process tests of the `signet` binary: a real
//! DNS server on loopback, and Redis (the configured one, or a private
//! `redis-server` a test may kill).

pub mod dns_server;
pub mod redis_server;

pub use dns_server::TestDns;
pub use redis_server::{PrivateRedis, RedisConfig};
