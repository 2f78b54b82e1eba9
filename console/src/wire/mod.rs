//! The console's request and response bodies, one file per resource.

pub mod api_keys;
pub mod audit;
pub mod domains;
pub mod fleets;
pub mod keys;
pub mod me;
pub mod publishers;
pub mod settings;
pub mod tenants;
