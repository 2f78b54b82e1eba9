//! Keeping the zone current without reading the database on a query: a
//! full load at start; a tenant reloaded when a change to it is announced
//! (this node's own writes at once, other nodes' over Redis); everything
//! reloaded when announcements may have been missed; and, so that a
//! change made on another node shows within a second even without Redis,
//! a look every [`SWEEP_INTERVAL`] at each tenant's [`ZoneVersion`],
//! reloading those that moved. One task does every reload, so two reads of
//! one tenant can never land out of order.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use signet_domain::delegation::ZoneVersion;
use signet_domain::shared_state::TenantChangeListener;
use signet_domain::{Signet, TenantId};
use tokio::sync::{watch, Notify};

use crate::zone::Zone;

/// How often tenants' versions are compared.
pub const SWEEP_INTERVAL: Duration = Duration::from_millis(500);

/// What is waiting to be reloaded.
#[derive(Debug, Default)]
struct Pending {
    tenants: HashSet<TenantId>,
    all: bool,
}

/// Announced changes, heard by the zone: a [`TenantChangeListener`] to put
/// beside the other caches. Hearing one only marks the tenant; the
/// zone's own task reloads it.
#[derive(Debug, Default)]
pub struct ZoneChanges {
    pending: Mutex<Pending>,
    wake: Notify,
}

impl ZoneChanges {
    fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl TenantChangeListener for ZoneChanges {
    fn changed(&self, tenant: TenantId) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .tenants
            .insert(tenant);
        self.wake.notify_one();
    }

    fn missed(&self) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .all = true;
        self.wake.notify_one();
    }
}

/// Loads the zone, then keeps it current for ever, telling `serials` each
/// new serial.
pub struct Keeper {
    /// The use cases the records are read through.
    pub core: Signet,
    /// The zone kept.
    pub zone: Arc<Zone>,
    /// Announced changes.
    pub changes: Arc<ZoneChanges>,
    /// Where new serials go (to the NOTIFY sender).
    pub serials: watch::Sender<u32>,
}

impl Keeper {
    /// The first full load; an error leaves the zone empty and the sweep
    /// retries.
    pub async fn load(&self, versions: &mut HashMap<TenantId, ZoneVersion>) {
        // Versions first: a change between the two reads shows as a moved
        // version at the next sweep rather than being missed.
        match self.core.zone_versions().await {
            Ok(now) => *versions = now.into_iter().map(|v| (v.tenant, v)).collect(),
            Err(e) => tracing::warn!(error = %e, "cannot read the zone's versions"),
        }
        if !self.reload_all().await {
            // The sweep then reloads every tenant it sees.
            versions.clear();
        }
    }

    /// Runs for ever.
    pub async fn run(self, mut versions: HashMap<TenantId, ZoneVersion>) {
        let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.changes.wake.notified() => {
                    let pending = self.changes.take();
                    if pending.all {
                        if !self.reload_all().await {
                            versions.clear();
                        }
                    } else {
                        for tenant in pending.tenants {
                            self.reload(tenant).await;
                        }
                    }
                }
                _ = sweep.tick() => self.sweep(&mut versions).await,
            }
        }
    }

    /// Reloads the tenants whose version moved since the last sweep.
    async fn sweep(&self, versions: &mut HashMap<TenantId, ZoneVersion>) {
        let now = match self.core.zone_versions().await {
            Ok(now) => now,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the zone's versions");
                return;
            }
        };
        let now: HashMap<TenantId, ZoneVersion> = now.into_iter().map(|v| (v.tenant, v)).collect();
        let moved: HashSet<TenantId> = now
            .iter()
            .filter(|(t, v)| versions.get(t) != Some(v))
            .map(|(t, _)| *t)
            .chain(versions.keys().filter(|t| !now.contains_key(t)).copied())
            .collect();
        for tenant in moved {
            if self.reload(tenant).await {
                match now.get(&tenant) {
                    Some(version) => versions.insert(tenant, *version),
                    None => versions.remove(&tenant),
                };
            }
        }
    }

    /// Reloads one tenant; false if it could not be read.
    async fn reload(&self, tenant: TenantId) -> bool {
        match self.core.served_keys(Some(tenant)).await {
            Ok(keys) => {
                if self.zone.replace_tenant(tenant, &keys) {
                    self.changed();
                }
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, %tenant, "cannot reload a tenant's served keys");
                false
            }
        }
    }

    /// Reloads every tenant; false if the keys could not be read.
    async fn reload_all(&self) -> bool {
        match self.core.served_keys(None).await {
            Ok(keys) => {
                if self.zone.replace_all(keys) {
                    self.changed();
                }
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot load the zone's served keys");
                false
            }
        }
    }

    fn changed(&self) {
        let serial = self.zone.serial();
        tracing::debug!(serial, records = self.zone.len(), "zone changed");
        self.serials.send_replace(serial);
    }
}
