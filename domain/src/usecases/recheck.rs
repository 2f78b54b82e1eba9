//! Background re-checks of DNS records: keys whose record was checked longest
//! ago (or never) are looked up again, so `valid` follows what the world
//! publishes without anyone asking. Several nodes may run rounds at once; a
//! lease per key makes each check one node's job.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt as _};

use crate::audit::Action;
use crate::error::{Error, Result};
use crate::key::KeyId;
use crate::origin::Origin;
use crate::tenant::TenantId;

use super::Signet;

/// Longest a node holds a key's check: ample for one lookup with retries.
const MAX_LEASE: Duration = Duration::from_secs(60);

/// One round of background re-checks.
#[derive(Debug, Clone, Copy)]
pub struct RecheckRound {
    /// Keys checked longer ago than this, or never, are due. A node holds a
    /// key's lease for this long, at most a minute, so no other node checks
    /// it in the meantime.
    pub older_than: Duration,
    /// At most this many keys, oldest result first.
    pub limit: u64,
    /// Lookups in flight at once.
    pub concurrency: usize,
}

/// What a round did.
#[derive(Debug, Default)]
pub struct RecheckReport {
    /// Keys found due.
    pub due: usize,
    /// Keys this node looked up and stored the result of.
    pub checked: usize,
    /// Keys leased by another node, checked or deleted meanwhile.
    pub skipped: usize,
    /// Keys whose check could not be stored.
    pub failed: usize,
    /// Why the first of those failed.
    pub first_error: Option<Error>,
}

enum Outcome {
    Checked,
    Skipped,
    Failed(Error),
}

impl Signet {
    /// Re-checks the keys due, each under the lease `dns-check:{tenant}:{key}`
    /// so that of several nodes only one looks it up. Lookups may come from
    /// the shared DNS cache. Each key is read and written for its own tenant
    /// only; nothing crosses tenants.
    pub async fn recheck_due(&self, round: RecheckRound) -> Result<RecheckReport> {
        let age = chrono::Duration::from_std(round.older_than).unwrap_or(chrono::Duration::MAX);
        let cutoff = self
            .ports
            .clock
            .now()
            .checked_sub_signed(age)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let due = self
            .ports
            .keys
            .keys_due_for_check(cutoff, round.limit)
            .await?;
        // The lease covers one lookup, not the whole interval: the re-read
        // under it skips keys checked meanwhile, and a node that dies holding
        // leases delays those keys by at most this long.
        let lease = round.older_than.min(MAX_LEASE);
        let mut report = RecheckReport {
            due: due.len(),
            ..RecheckReport::default()
        };
        let outcomes: Vec<Outcome> = stream::iter(due)
            .map(|(tenant, id)| self.recheck_key(tenant, id, cutoff, lease))
            .buffer_unordered(round.concurrency.max(1))
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                Outcome::Checked => report.checked += 1,
                Outcome::Skipped => report.skipped += 1,
                Outcome::Failed(e) => {
                    report.failed += 1;
                    report.first_error.get_or_insert(e);
                }
            }
        }
        Ok(report)
    }

    async fn recheck_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        cutoff: DateTime<Utc>,
        lease: Duration,
    ) -> Outcome {
        if !self
            .ports
            .leases
            .try_acquire(&format!("dns-check:{tenant}:{id}"), lease)
            .await
        {
            return Outcome::Skipped;
        }
        // Read again under the lease: an explicit verify may have just run.
        let key = match self.ports.keys.get_key(tenant, id).await {
            Ok(Some(key)) if key.dns.checked_at.is_none_or(|t| t < cutoff) => key,
            Ok(_) => return Outcome::Skipped,
            Err(e) => return Outcome::Failed(e),
        };
        let answer = self.ports.dns.txt(&key.dns_record().name).await;
        let check = answer.check(key.algorithm, &key.public_key, self.ports.clock.now());
        // Recorded only if the key's DNS status changes, not every lookup.
        let origin = Origin::recheck();
        let note = self.note(&origin, Action::KeyDnsChanged);
        match self
            .ports
            .keys
            .record_dns_check(tenant, id, &key.dns_record(), check, note.at, &note)
            .await
        {
            // A pending key seen published becomes the active one.
            Ok(Some(stored)) => {
                match self.promote_if_published(tenant, &origin, stored.key).await {
                    Ok(_) => Outcome::Checked,
                    Err(e) => Outcome::Failed(e),
                }
            }
            Ok(None) => Outcome::Skipped,
            Err(e) => Outcome::Failed(e),
        }
    }
}
