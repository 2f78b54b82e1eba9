//! Publishing keys' records into tenants' own DNS by RFC 2136: the console's
//! and the CLI's settings, and the background pass that sends each
//! authority's changes, one node per authority under a lease.

use std::time::Duration;

use futures::stream::{self, StreamExt as _};

use crate::algorithm::KeyStage;
use crate::audit::Action;
use crate::error::{Entity, Error, Result, RuleViolation};
use crate::names::DomainName;
use crate::origin::Origin;
use crate::publisher::{
    PublishOutcome, PublishStatus, Publisher, PublisherConfig, TxtRecord, ZoneUpdate,
};
use crate::tenant::{Tenant, TenantId};

use super::Signet;

/// The stages whose records are published.
const PUBLISHED: [KeyStage; 3] = [KeyStage::Pending, KeyStage::Active, KeyStage::Retiring];

/// One background pass over the authorities with a publisher.
#[derive(Debug, Clone, Copy)]
pub struct PublishRound {
    /// The longest a node holds an authority: no other node sends its
    /// updates meanwhile. Longer than an update may take; the lease is
    /// given up as soon as the update is answered and stored.
    pub lease: Duration,
    /// Authorities read per page.
    pub page: u64,
    /// Updates in flight at once.
    pub concurrency: usize,
}

/// What a pass did.
#[derive(Debug, Default)]
pub struct PublishReport {
    /// Authorities whose server took an update from this node.
    pub published: usize,
    /// Authorities whose update failed (stored as `failing`).
    pub failed: usize,
    /// Authorities with nothing to send, waiting to retry, or held by
    /// another node.
    pub skipped: usize,
    /// Why the first pass over an authority could not run or be stored.
    pub first_error: Option<Error>,
}

enum Step {
    Published,
    Failed,
    Skipped,
}

impl Signet {
    /// Sets the publisher of `name`'s authority. Its zone must hold the
    /// authority's records.
    pub async fn set_publisher(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
        config: PublisherConfig,
    ) -> Result<Publisher> {
        let authority = self.rotation_authority(tenant, name).await?;
        if !config.holds(authority.as_str()) {
            return Err(RuleViolation::OutsideZone {
                authority: authority.to_string(),
                zone: config.zone.to_string(),
            }
            .into());
        }
        let note = self.note(origin, Action::PublisherSet);
        self.ports
            .publishers
            .set_publisher(tenant.id, &authority, &config, &note)
            .await
    }

    /// The publisher of `name`'s authority; `NotFound(Publisher)` if none.
    pub async fn publisher(&self, tenant: &Tenant, name: &DomainName) -> Result<Publisher> {
        let authority = self.rotation_authority(tenant, name).await?;
        self.ports
            .publishers
            .publisher(tenant.id, &authority)
            .await?
            .ok_or(Error::NotFound(Entity::Publisher))
    }

    /// Stops publishing `name`'s authority; what was written stays.
    pub async fn delete_publisher(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
    ) -> Result<()> {
        let authority = self.rotation_authority(tenant, name).await?;
        let note = self.note(origin, Action::PublisherDeleted);
        if self
            .ports
            .publishers
            .delete_publisher(tenant.id, &authority, &note)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::Publisher))
        }
    }

    /// Sends every authority's due changes, each under the lease
    /// `publish:{tenant}:{authority}` so that one node does it. A failure
    /// is stored on its publisher and never reaches a request.
    pub async fn publish_due(&self, round: PublishRound) -> Result<PublishReport> {
        let mut report = PublishReport::default();
        let mut after = None;
        loop {
            let page = self
                .ports
                .publishers
                .publisher_authorities(after.clone(), round.page)
                .await?;
            let full = page.len() as u64 >= round.page;
            // Side by side: one server that times out holds up no other.
            let steps: Vec<Result<Step>> = stream::iter(page.clone())
                .map(|(tenant, authority)| self.publish_leased(tenant, authority, round.lease))
                .buffer_unordered(round.concurrency.max(1))
                .collect()
                .await;
            for step in steps {
                match step {
                    Ok(Step::Published) => report.published += 1,
                    Ok(Step::Failed) => report.failed += 1,
                    Ok(Step::Skipped) => report.skipped += 1,
                    Err(e) => {
                        report.skipped += 1;
                        report.first_error.get_or_insert(e);
                    }
                }
            }
            after = page.into_iter().last();
            if !full || after.is_none() {
                return Ok(report);
            }
        }
    }

    /// One authority under its lease; skipped if another node holds it.
    async fn publish_leased(
        &self,
        tenant: TenantId,
        authority: DomainName,
        lease: Duration,
    ) -> Result<Step> {
        let name = format!("publish:{tenant}:{authority}");
        if !self.ports.leases.try_acquire(&name, lease).await {
            return Ok(Step::Skipped);
        }
        let step = self.publish_authority(tenant, &authority).await;
        self.ports.leases.release(&name).await;
        step
    }

    /// One authority: what its keys need against what Signet wrote. A
    /// publisher never tried sends even an empty update, so a wrong key
    /// shows at once.
    async fn publish_authority(&self, tenant: TenantId, authority: &DomainName) -> Result<Step> {
        let Some(publisher) = self.ports.publishers.publisher(tenant, authority).await? else {
            return Ok(Step::Skipped);
        };
        let now = self.ports.clock.now();
        if publisher.retry_at.is_some_and(|at| at > now) {
            return Ok(Step::Skipped);
        }
        let mut desired: Vec<TxtRecord> = self
            .authority_keys(tenant, authority)
            .await?
            .iter()
            .filter(|k| PUBLISHED.contains(&k.stage))
            .map(|k| TxtRecord::of(&k.dns_record()))
            .filter(|r| publisher.config.holds(&r.name))
            .collect();
        desired.sort();
        desired.dedup();
        let update = ZoneUpdate::between(&publisher.config.zone, &publisher.written, &desired);
        if update.is_empty() && publisher.status == PublishStatus::Ok {
            return Ok(Step::Skipped);
        }
        let origin = Origin::publisher();
        let sent = self.ports.updater.update(&publisher.config, &update).await;
        let (outcome, note, step) = match sent {
            Ok(()) => {
                let note =
                    (!update.is_empty()).then(|| self.note(&origin, Action::RecordsPublished));
                let outcome = PublishOutcome::Published {
                    written: desired,
                    added: update.add.len(),
                    removed: update.delete.len(),
                    at: self.ports.clock.now(),
                };
                (outcome, note, Step::Published)
            }
            Err(failure) => {
                let failures = publisher.failures.saturating_add(1);
                // The wait counts from the failure: a timeout takes seconds.
                let outcome = PublishOutcome::failed(&failure, failures, self.ports.clock.now());
                // One event when it starts failing or fails otherwise, not one a retry.
                let news = publisher.status != PublishStatus::Failing
                    || publisher.last_error.as_deref() != Some(failure.to_string().as_str());
                let note = news.then(|| self.note(&origin, Action::PublishFailed));
                (outcome, note, Step::Failed)
            }
        };
        self.ports
            .publishers
            .record_publish(
                tenant,
                authority,
                publisher.configured_at,
                &outcome,
                note.as_ref(),
            )
            .await?;
        Ok(step)
    }
}
