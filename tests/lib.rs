//! Test support: start the real server, a loopback DNS server, typed clients.

pub mod app;
pub mod dns_server;

pub use app::*;
pub use dns_server::TestDns;
