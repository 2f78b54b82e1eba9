//! The wire types of `api_keys.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::tenant::ApiKeyInfo;
use utoipa::ToSchema;

/// An API key, without the key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyItem {
    /// The key's id.
    pub id: i64,
    /// Its label; `null` for keys issued without one (by the CLI).
    pub label: Option<String>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request, to the minute; `null` if never.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; `null` while it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyInfo> for ApiKeyItem {
    fn from(info: ApiKeyInfo) -> Self {
        Self {
            id: info.id.0,
            label: info.label.map(|l| l.as_str().to_owned()),
            created_at: info.created_at,
            last_used_at: info.last_used_at,
            revoked_at: info.revoked_at,
        }
    }
}

/// The tenant's API keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Oldest first.
    pub items: Vec<ApiKeyItem>,
}

/// A key to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// A name for it, 1 to 100 characters without control characters (white
    /// space around it is dropped).
    #[schema(
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        min_length = 1,
        max_length = 100
    )]
    pub label: String,
}

/// A newly issued key: the only time `api_key` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedApiKey {
    /// The key's id.
    pub id: i64,
    /// Its label.
    pub label: String,
    /// The key, for the dialects' `Authorization`; Signet keeps only its hash.
    pub api_key: String,
}
