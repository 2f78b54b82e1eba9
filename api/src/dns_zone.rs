//! Signet's own DNS server, when `SIGNET_DNS_LISTEN` is set: its
//! configuration from the settings, bound at build time (so a test reads
//! the port) and answering while the server runs.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use signet_dns_zone::{Config, Server, ZoneChanges};
use signet_domain::Signet;

use crate::settings::DnsZoneSettings;

/// The DNS server, bound, with the listener that hears changes for it.
pub struct DnsZone {
    server: Server,
    /// Announced changes; put beside the other caches' listeners.
    pub changes: Arc<ZoneChanges>,
}

impl DnsZone {
    /// Binds the server if the settings ask for one.
    pub async fn bind(settings: &DnsZoneSettings) -> anyhow::Result<Option<Self>> {
        let (Some(listen), Some(zone)) = (settings.listen, settings.zone.clone()) else {
            return Ok(None);
        };
        let config = Config {
            zone,
            nameservers: settings.nameservers.clone(),
            ttl: settings.ttl,
            tsig_key: settings.tsig_key.clone(),
            notify: settings.notify.clone(),
            rrl_rate: settings.rrl_rate,
            rrl_slip: settings.rrl_slip,
            max_tcp_connections: Config::DEFAULT_MAX_TCP_CONNECTIONS,
            tcp_idle_timeout: Config::DEFAULT_TCP_IDLE_TIMEOUT,
        };
        let server = Server::bind(listen, config)
            .await
            .with_context(|| format!("cannot answer DNS on {listen}"))?;
        Ok(Some(Self {
            server,
            changes: Arc::new(ZoneChanges::default()),
        }))
    }

    /// Where it answers.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.server.local_addr()
    }

    /// Loads the zone and answers until the task is stopped.
    pub async fn run(self, core: Signet) {
        self.server.run(core, self.changes).await;
    }
}
