//! The DNS lookups the core makes: the resolver, behind the cache every
//! node shares.

use std::sync::Arc;

use anyhow::Context as _;
use signet_domain::dns_cache::CachedDns;
use signet_domain::ports::DnsLookup;
use signet_storage::shared::SharedState;

use crate::dns::HickoryDns;
use crate::settings::Settings;

/// The resolver, behind the shared cache unless its TTL is zero. Explicit
/// checks skip the cache (see `DnsLookup::txt_now`); background re-checks use it.
pub(crate) fn lookups(
    settings: &Settings,
    shared: &SharedState,
) -> anyhow::Result<Arc<dyn DnsLookup>> {
    let resolver =
        Arc::new(HickoryDns::new(&settings.dns).context("cannot set up the DNS resolver")?);
    if settings.dns_cache_ttl.is_zero() {
        return Ok(resolver);
    }
    Ok(Arc::new(CachedDns::new(
        resolver,
        shared.cache(),
        settings.dns_cache_ttl,
    )))
}
