//! The wire types of `me.rs`.

use serde::Serialize;
use utoipa::ToSchema;

/// The caller, as the token names them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's `sub`.
    pub subject: String,
    /// The tenant the token acts on; `null` for a platform operator.
    pub tenant: Option<String>,
    /// `viewer`, `admin`, `owner` or `operator`.
    pub role: String,
}
