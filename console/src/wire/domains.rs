//! The wire types of `domains.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::wire::keys::DnsState;

/// A sending domain.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainItem {
    /// The domain.
    pub name: String,
    /// Whose keys sign its mail: itself or a parent domain.
    pub authority: String,
    /// The selector of the key it signs with; `null` if its authority has no default key.
    pub selector: Option<String>,
    /// That key's id.
    pub key_id: Option<i64>,
    /// That key's DNS record and state.
    pub dns: Option<DnsState>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// One page of domains.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainList {
    /// Domains by name.
    pub items: Vec<DomainItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Which page of domains.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDomains {
    /// `next_cursor` of the previous page. A cursor this server did not hand
    /// out is refused with 400.
    #[param(pattern = r"^[A-Za-z0-9_-]*={0,2}$", max_length = 512)]
    pub cursor: Option<String>,
    /// Domains per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// What a domain page cursor carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct Skip {
    pub skip: u64,
}
