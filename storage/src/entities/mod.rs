//! sea-orm entities, one per table; the schema itself lives in `signet-migrations`.

use chrono::{DateTime, SubsecRound as _, Utc};

pub mod api_key;
pub mod audit_event;
pub mod dkim_key;
pub mod dns_publisher;
pub mod fleet;
pub mod rotation_selector;
pub mod rotation_setting;
pub mod sealing_canary;
pub mod sending_domain;
pub mod tenant;

/// A time as both databases keep it (PostgreSQL stores microseconds), so a
/// key reads back equal to what was written.
pub(crate) fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}
