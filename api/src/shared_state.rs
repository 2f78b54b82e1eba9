//! The state every node shares: on Redis when configured, otherwise in
//! this process.

use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use signet_storage::shared::{RateLimitSettings, SharedHealth, SharedSettings, SharedState};

use crate::settings::Settings;

/// The buckets' shape, clamped to usable values.
pub(crate) fn rate_limit_settings(settings: &Settings) -> RateLimitSettings {
    RateLimitSettings::new(
        settings.rate_limit.capacity,
        settings.rate_limit.refill_per_second,
    )
}

/// The shared state: on Redis when configured (starting degraded if Redis
/// is down), otherwise in this process.
pub(crate) async fn connect(settings: &Settings) -> anyhow::Result<SharedState> {
    let limits = rate_limit_settings(settings);
    let url = settings.redis_url.as_ref().map(|url| url.expose_secret());
    let mut shared = SharedSettings::new(url, limits);
    shared.key_prefix.clone_from(&settings.redis_key_prefix);
    let shared = SharedState::connect_with(shared)
        .await
        .context("cannot use SIGNET_REDIS_URL")?;
    match shared.health() {
        SharedHealth::Local => tracing::info!("shared state in this process: no Redis configured"),
        SharedHealth::Redis => tracing::info!("shared state on Redis"),
        SharedHealth::Degraded(_) => {}
    }
    Ok(shared)
}
