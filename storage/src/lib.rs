//! Signet's storage adapters: the core's key, domain and tenant stores on
//! SQLite or PostgreSQL through sea-orm, with private keys sealed at rest.

mod audit;
mod bounded;
mod canary;
mod connect;
mod domains;
mod entities;
mod errors;
mod fleets;
mod key_versions;
mod keys;
mod publishers;
mod readiness;
mod rotation;
pub mod sealing;
pub mod shared;
mod tenants;
mod zone;

pub use bounded::Bounded;
pub use connect::{PoolStatus, Storage};
pub use errors::StorageError;
pub use readiness::Unready;
pub use sealing::{Keyring, MasterKey, MasterKeyError};
