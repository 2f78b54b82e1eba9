//! Services Signet's tests run against, shared by the black-box tests (the
//! `tests` crate), the storage tests and the multi-process tests of the
//! `signet` binary: a real DNS server on loopback, Redis (the configured one,
//! or a private `redis-server` a test may kill), a fresh PostgreSQL database
//! (behind a TCP proxy that can break the network, if a test wants),
//! the `signet` binary as a child process, a swappable JWKS endpoint standing
//! in for an identity provider, real OpenDKIM and rspamd signers, real DNS software (BIND 9 and
//! Knot DNS as primaries or secondaries, Unbound as the resolver) with TSIG keys, zone files and a small
//! DNS client, and waiting with a deadline.

pub mod bind;
mod daemon;
pub mod dns_query;
pub mod dns_server;
pub mod dns_tools;
pub mod jwks_server;
pub mod knot;
pub mod opendkim;
pub mod postgres;
pub mod redis_server;
pub mod rspamd;
pub mod signet_process;
mod skip;
pub mod tcp_proxy;
pub mod tsig;
pub mod unbound;
pub mod wait;
pub mod zone_file;

pub use bind::Bind;
pub use daemon::free_dns_port;
pub use dns_server::TestDns;
pub use jwks_server::JwksServer;
pub use knot::Knot;
pub use opendkim::{OpenDkim, TestMessage};
pub use postgres::FreshPostgres;
pub use redis_server::{PrivateRedis, RedisConfig};
pub use rspamd::Rspamd;
pub use skip::skip;
pub use tcp_proxy::TcpProxy;
pub use tsig::TsigKey;
pub use unbound::Unbound;
pub use wait::{eventually, within};
pub use zone_file::ZoneFile;

/// Whether the tests run under CI (`CI=true`), where a missing service is a
/// failure, never a silent skip.
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true")
}
