//! The `signet` binary's library: the settings and the command line, auth,
//! limits and rate limits, telemetry, the background DNS re-check and the
//! composition root that wires the storage, the shared state, the DNS
//! resolver, both dialects, the console, the fleet feed and the DNS zone
//! around the core.

pub mod api_key_use;
pub mod auth;
pub mod commands;
pub mod dialect;
pub mod dns;
pub mod dns_zone;
pub mod docs;
pub mod health;
pub mod key_reads;
pub mod limits;
mod lookups;
pub mod master_key;
pub mod metrics;
pub mod publish;
pub mod ratelimit;
pub mod recheck;
pub mod rotation;
pub mod settings;
mod shared_state;
pub mod startup;
pub mod telemetry;

pub use limits::Limits;
pub use publish::Publish;
pub use ratelimit::RateLimit;
pub use recheck::Recheck;
pub use rotation::Rotation;
pub use settings::{ConsoleSettings, MasterKeySource, Settings};
pub use signet_keygen::KeyPool;
pub use startup::Application;
pub use telemetry::LogFormat;
