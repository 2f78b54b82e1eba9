//! Black-box tests: each starts the real server on port 0 and talks HTTP.

mod console;
mod cross_dialect;
mod dns;
mod dns_zone;
mod fleet;
mod foundation;
mod greenarrow;
mod mailgun;
mod publish;
mod rotation;
mod shared;
mod signers;
