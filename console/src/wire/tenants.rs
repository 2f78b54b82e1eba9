//! The wire types of `tenants.rs`.

use serde::{Deserialize, Serialize};
use signet_domain::Tenant;
use utoipa::ToSchema;

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantItem {
    /// Its unique name.
    pub name: String,
    /// May its private keys leave Signet?
    pub private_key_export: bool,
    /// Smallest RSA key it may generate or import.
    pub min_rsa_bits: u32,
}

impl From<&Tenant> for TenantItem {
    fn from(tenant: &Tenant) -> Self {
        Self {
            name: tenant.name.to_string(),
            private_key_export: tenant.settings.private_key_export,
            min_rsa_bits: tenant.settings.min_rsa_bits.bits(),
        }
    }
}

/// Every tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    /// By name.
    pub items: Vec<TenantItem>,
}

/// A tenant to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1 to 64 lower-case letters, digits, `-` and `_`.
    pub name: String,
}

/// A new tenant and its first API key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    /// The tenant.
    pub tenant: TenantItem,
    /// The first API key's id.
    pub api_key_id: i64,
    /// The first API key; Signet keeps only its hash.
    pub api_key: String,
}
