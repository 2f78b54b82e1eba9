//! sea-orm entities, one per table; the schema itself lives in `signet-migrations`.

pub mod api_key;
pub mod audit_event;
pub mod dkim_key;
pub mod fleet;
pub mod rotation_selector;
pub mod rotation_setting;
pub mod sealing_canary;
pub mod sending_domain;
pub mod tenant;
