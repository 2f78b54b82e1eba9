//! The wire types of `settings.rs`.

use serde::{Deserialize, Serialize};
use signet_domain::Tenant;
use utoipa::ToSchema;

/// The tenant's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    /// May private keys leave Signet (GreenArrow's `key.private`)?
    pub private_key_export: bool,
    /// Smallest RSA key the tenant may generate or import.
    pub min_rsa_bits: u32,
}

impl From<&Tenant> for Settings {
    fn from(tenant: &Tenant) -> Self {
        Self {
            private_key_export: tenant.settings.private_key_export,
            min_rsa_bits: tenant.settings.min_rsa_bits.bits(),
        }
    }
}

/// A change of settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// Let private keys leave Signet, or not.
    pub private_key_export: Option<bool>,
}
