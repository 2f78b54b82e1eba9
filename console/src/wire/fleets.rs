//! The wire types of `fleets.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::Fleet;
use utoipa::ToSchema;

/// A fleet, without its token.
#[derive(Debug, Serialize, ToSchema)]
pub struct FleetItem {
    /// Unique within the tenant.
    pub name: String,
    /// The signing domains it reads, sorted.
    pub domains: Vec<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<Fleet> for FleetItem {
    fn from(fleet: Fleet) -> Self {
        Self {
            name: fleet.name.to_string(),
            domains: fleet
                .domains
                .as_slice()
                .iter()
                .map(ToString::to_string)
                .collect(),
            created_at: fleet.created_at,
        }
    }
}

/// The tenant's fleets.
#[derive(Debug, Serialize, ToSchema)]
pub struct FleetList {
    /// By name.
    pub items: Vec<FleetItem>,
}

/// A fleet to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFleet {
    /// 1 to 64 lower-case letters, digits, `-` or `_`; unique in the tenant
    /// (another fleet's name is refused with 409).
    #[schema(pattern = r"^[a-z0-9_-]{1,64}$", min_length = 1, max_length = 64)]
    pub name: String,
    /// The signing domains it reads: 1 to 100 domain names.
    #[schema(min_items = 1, max_items = 100)]
    pub domains: Vec<String>,
}

/// A new fleet: the only time `token` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedFleet {
    /// Its name.
    pub name: String,
    /// The domains it reads, sorted.
    pub domains: Vec<String>,
    /// The fleet token (`sgf_...`) for `GET /fleet/v1/keys`; Signet keeps only its hash.
    pub token: String,
}
