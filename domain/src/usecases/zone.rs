//! What Signet's DNS zone serves: the records of delegated authorities,
//! read across tenants by the DNS front end (each tenant's records sit
//! under labels of its own, so nothing of one tenant shows in another's).

use crate::delegation::{ServedKey, ZoneVersion};
use crate::error::Result;
use crate::tenant::TenantId;

use super::Signet;

impl Signet {
    /// The keys the zone serves: of one tenant, or of every tenant.
    pub async fn served_keys(&self, tenant: Option<TenantId>) -> Result<Vec<ServedKey>> {
        self.ports.zone.served_keys(tenant).await
    }

    /// Each tenant's version of its served keys, to see cheaply which
    /// tenants changed since the last look.
    pub async fn zone_versions(&self) -> Result<Vec<ZoneVersion>> {
        self.ports.zone.zone_versions().await
    }
}
