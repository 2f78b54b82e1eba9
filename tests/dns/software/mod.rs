//! The harnesses of real DNS software the DNS tests stand on (BIND 9, Knot
//! DNS, Unbound), checked on their own: each test would fail if its harness
//! configured the software wrongly.

mod bind;
mod knot;
mod unbound;

use std::time::Duration;

use signet_testkit::dns_query::soa_serial;
use signet_testkit::eventually;

/// How long a transfer may take to reach a secondary.
const TRANSFER: Duration = Duration::from_secs(10);

/// The zone most tests serve.
const ZONE: &str = "example.test.";

/// Waits until the server at `addr` serves `zone` with serial `serial`.
async fn serves_serial(addr: std::net::SocketAddr, zone: &str, serial: u32) {
    eventually(
        TRANSFER,
        &format!("{zone} at serial {serial} on {addr}"),
        || async { (soa_serial(addr, zone).await == Some(serial)).then_some(()) },
    )
    .await;
}
