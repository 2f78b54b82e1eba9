//! Key rotation with overlap. A rotation makes `pending` keys; one becomes
//! `active` only once DNS is seen to carry its record (the re-check or an
//! explicit verify), and the keys it replaces become `retiring`, then
//! `retired` after `retire_after`, then are deleted after `delete_after`.
//! The background advances every authority's due steps, one node per
//! authority under a lease.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::algorithm::{KeyAlgorithm, KeyStage};
use crate::audit::Action;
use crate::delegated_keys::Delegation;
use crate::dns::DnsStatus;
use crate::error::{Entity, Error, Result, RuleViolation};
use crate::key::{DeleteRule, DkimKey, KeyFilter};
use crate::key_size::{KeySize, KeySpec};
use crate::names::{DomainName, Selector};
use crate::origin::Origin;
use crate::ports::{KeyChange, NewKey};
use crate::rotation::{AlgorithmSet, RotationPolicy, SelectorTemplate, Span};
use crate::tenant::{Tenant, TenantId};

use super::Signet;

/// An authority's rotation: its settings and its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationView {
    /// The domain whose keys rotate.
    pub authority: DomainName,
    /// Its settings (the defaults if never set).
    pub policy: RotationPolicy,
    /// Its keys, by id.
    pub keys: Vec<DkimKey>,
    /// Its CNAMEs, when it is delegated (Automatic Sender Security).
    pub delegation: Option<Delegation>,
}

impl RotationView {
    /// The key its mail is signed with when none is named.
    pub fn signing_key(&self) -> Option<&DkimKey> {
        self.keys.iter().find(|k| k.default_for_domain)
    }
}

/// A change of rotation settings: `enabled` always, the rest kept when `None`.
#[derive(Debug, Clone, Default)]
pub struct RotationUpdate {
    /// Turn automatic rotation on or off.
    pub enabled: bool,
    /// The active key's age that starts a rotation.
    pub interval: Option<Span>,
    /// How long a replaced key stays published.
    pub retire_after: Option<Span>,
    /// How long a retired key is kept; zero keeps it.
    pub delete_after: Option<Span>,
    /// The algorithms a rotation makes keys of.
    pub algorithms: Option<AlgorithmSet>,
    /// How new selectors are made.
    pub selector_template: Option<SelectorTemplate>,
}

/// One background pass over the authorities with rotation work.
#[derive(Debug, Clone, Copy)]
pub struct RotationRound {
    /// How long a node holds an authority: no other node advances it
    /// meanwhile. The pass period suits it.
    pub lease: Duration,
    /// Authorities read per page.
    pub page: u64,
}

/// What a pass did.
#[derive(Debug, Default)]
pub struct RotationReport {
    /// Authorities looked at by this node.
    pub advanced: usize,
    /// Authorities another node held.
    pub skipped: usize,
    /// Authorities whose step failed.
    pub failed: usize,
    /// Why the first of those failed.
    pub first_error: Option<Error>,
}

impl Signet {
    /// An authority's rotation settings and keys. `name` is a registered
    /// domain (its authority's rotation is meant) or the signing domain of
    /// keys made without one.
    pub async fn rotation(&self, tenant: &Tenant, name: &DomainName) -> Result<RotationView> {
        let authority = self.rotation_authority(tenant, name).await?;
        self.rotation_view(tenant.id, authority).await
    }

    /// Changes an authority's rotation settings. An interval below the
    /// configured minimum is refused.
    pub async fn set_rotation(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
        update: RotationUpdate,
    ) -> Result<RotationView> {
        let authority = self.rotation_authority(tenant, name).await?;
        let mut policy = self.policy(tenant.id, &authority).await?;
        if let Some(interval) = update.interval {
            let min = self.settings.rotation_min_interval;
            if interval < min {
                return Err(RuleViolation::RotationTooFrequent(min.to_string()).into());
            }
            policy.interval = Some(interval);
        }
        if update.enabled && policy.interval.is_none() {
            policy.interval =
                Some(RotationPolicy::DEFAULT_INTERVAL.max(self.settings.rotation_min_interval));
        }
        policy.enabled = update.enabled;
        if let Some(algorithms) = update.algorithms {
            policy.algorithms = algorithms;
        }
        policy.retire_after = update.retire_after.unwrap_or(policy.retire_after);
        policy.delete_after = update.delete_after.unwrap_or(policy.delete_after);
        if let Some(template) = update.selector_template {
            policy.selector_template = template;
        }
        let note = self.note(origin, Action::RotationChanged);
        self.ports
            .rotation
            .set_rotation_policy(tenant.id, &authority, &policy, &note)
            .await?;
        self.rotation_view(tenant.id, authority).await
    }

    /// Starts a rotation now, whatever the settings say: one pending key per
    /// algorithm of the set. Refused while a pending key waits, and for a
    /// delegated authority while a retiring key holds the idle selector.
    pub async fn rotate(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
    ) -> Result<Vec<DkimKey>> {
        let authority = self.rotation_authority(tenant, name).await?;
        let policy = self.policy(tenant.id, &authority).await?;
        self.start_rotation(tenant.id, origin, &authority, &policy)
            .await
    }

    /// Advances every authority's due rotation steps, each under the lease
    /// `rotation:{tenant}:{authority}` so that one node does it.
    pub async fn advance_rotations(&self, round: RotationRound) -> Result<RotationReport> {
        let mut report = RotationReport::default();
        let mut after = None;
        loop {
            let page = self
                .ports
                .rotation
                .rotation_candidates(after.clone(), round.page)
                .await?;
            let full = page.len() as u64 >= round.page;
            for (tenant, authority) in &page {
                let lease = format!("rotation:{tenant}:{authority}");
                if !self.ports.leases.try_acquire(&lease, round.lease).await {
                    report.skipped += 1;
                    continue;
                }
                match self.advance_authority(*tenant, authority).await {
                    Ok(()) => report.advanced += 1,
                    Err(e) => {
                        report.failed += 1;
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

    /// Promotes a pending key whose record DNS was just seen to carry;
    /// any other key is returned as it is.
    pub(super) async fn promote_if_published(
        &self,
        tenant: TenantId,
        origin: &Origin,
        key: DkimKey,
    ) -> Result<DkimKey> {
        if key.stage != KeyStage::Pending || key.dns.status != DnsStatus::Valid {
            return Ok(key);
        }
        let note = self.note(origin, Action::KeyStageChanged);
        self.ports.rotation.promote_key(tenant, key.id, &note).await
    }

    /// One authority's due steps, as Signet's own. A step that fails does
    /// not hold up the others; the first failure is returned at the end.
    /// Each stage change applies only if the key is still where it was read,
    /// so a key a caller moved meanwhile (a retiring key activated again)
    /// is left alone.
    async fn advance_authority(&self, tenant: TenantId, authority: &DomainName) -> Result<()> {
        let origin = Origin::rotation();
        let policy = self.policy(tenant, authority).await?;
        let keys = self.authority_keys(tenant, authority).await?;
        let now = self.ports.clock.now();
        let mut failure = None;
        let mut pending = false;
        for key in keys.iter().filter(|k| k.stage == KeyStage::Pending) {
            // The re-check promotes as it looks; this catches a result stored
            // by a node that failed before promoting.
            match self
                .promote_if_published(tenant, &origin, key.clone())
                .await
            {
                Ok(key) => pending |= key.stage == KeyStage::Pending,
                Err(Error::NotFound(Entity::Key)) => {}
                Err(e) => {
                    pending = true;
                    failure.get_or_insert(e);
                }
            }
        }
        for key in &keys {
            let step = match key.stage {
                KeyStage::Retiring if due(key.retiring_at, key, policy.retire_after, now) => {
                    let note = self.note(&origin, Action::KeyStageChanged);
                    let change = KeyChange {
                        stage: Some(KeyStage::Retired),
                        only_in: Some(KeyStage::Retiring),
                        ..KeyChange::at(note.at)
                    };
                    self.ports
                        .keys
                        .update_key(tenant, key.id, change, &note)
                        .await
                        .map(drop)
                        .or_else(gone_meanwhile)
                }
                KeyStage::Retired
                    if !policy.delete_after.is_zero()
                        && due(key.retired_at, key, policy.delete_after, now) =>
                {
                    let note = self.note(&origin, Action::KeyDeleted);
                    let rule = DeleteRule::OnlyIn(KeyStage::Retired);
                    self.ports
                        .keys
                        .delete_key(tenant, key.id, rule, &note)
                        .await
                        .map(drop)
                }
                _ => Ok(()),
            };
            if let Err(e) = step {
                failure.get_or_insert(e);
            }
        }
        let newest_active = keys
            .iter()
            .filter(|k| k.stage == KeyStage::Active)
            .map(DkimKey::signing_since)
            .max();
        if let (true, false, Some(interval), Some(since)) =
            (policy.enabled, pending, policy.interval, newest_active)
        {
            // An interval stored under a lower minimum than today's waits
            // for today's.
            let interval = interval.max(self.settings.rotation_min_interval);
            if since + interval.duration() <= now {
                match self
                    .start_rotation(tenant, &origin, authority, &policy)
                    .await
                {
                    // Another node or a caller rotated meanwhile, or a
                    // delegated authority's idle selector is still held by
                    // a retiring key: the rotation starts once it retires.
                    Ok(_)
                    | Err(Error::Rule(
                        RuleViolation::PendingKeyWaits(_) | RuleViolation::SelectorHeld { .. },
                    )) => {}
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// One pending key per algorithm of the set: under a fresh selector
    /// from the template, or, for a delegated authority, under the idle
    /// selector of the algorithm's pair (see [`crate::delegated_keys`]),
    /// served at once so the re-check can promote it with nothing done by
    /// the tenant.
    async fn start_rotation(
        &self,
        tenant: TenantId,
        origin: &Origin,
        authority: &DomainName,
        policy: &RotationPolicy,
    ) -> Result<Vec<DkimKey>> {
        let keys = self.authority_keys(tenant, authority).await?;
        if let Some(waiting) = keys.iter().find(|k| k.stage == KeyStage::Pending) {
            return Err(RuleViolation::PendingKeyWaits(waiting.dns_record().name).into());
        }
        let now = self.ports.clock.now();
        let selectors = if self.delegated_label(tenant, authority).await?.is_some() {
            self.delegated_selectors(tenant, &keys, policy).await?
        } else {
            self.template_selectors(tenant, authority, policy, now)
                .await?
        };
        let mut new = Vec::new();
        for (algorithm, selector) in selectors {
            let spec = match algorithm {
                KeyAlgorithm::Rsa => KeySpec::Rsa(KeySize::DEFAULT),
                KeyAlgorithm::Ed25519 => KeySpec::Ed25519,
            };
            let private_key = self.ports.generator.generate(tenant, spec).await?;
            new.push(NewKey {
                signing_domain: authority.clone(),
                selector,
                private_key,
                active: false,
                default_for_domain: false,
                stage: KeyStage::Pending,
                now,
            });
        }
        let note = self.note(origin, Action::KeyRotated);
        self.ports
            .rotation
            .start_rotation(tenant, authority, new, &note)
            .await
    }

    /// A fresh selector from the template for each algorithm of the set:
    /// never one a key of the authority had before.
    async fn template_selectors(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        policy: &RotationPolicy,
        now: DateTime<Utc>,
    ) -> Result<Vec<(KeyAlgorithm, Selector)>> {
        let mut candidates = policy.selector_template.candidates(now);
        let mut chosen = Vec::new();
        for algorithm in policy.algorithms.iter() {
            let selector = loop {
                let Some(selector) = candidates.next() else {
                    let template = policy.selector_template.as_str().to_owned();
                    return Err(RuleViolation::SelectorsExhausted(template).into());
                };
                if !self
                    .ports
                    .rotation
                    .selector_used(tenant, authority, &selector)
                    .await?
                {
                    break selector;
                }
            };
            chosen.push((algorithm, selector));
        }
        Ok(chosen)
    }

    /// The authority whose keys sign `name`'s mail: a registered domain's
    /// authority, or `name` itself when it is the signing domain of keys.
    async fn rotation_authority(&self, tenant: &Tenant, name: &DomainName) -> Result<DomainName> {
        if let Some(domain) = self.ports.domains.get_domain(tenant.id, name).await? {
            return Ok(domain.authority);
        }
        let filter = KeyFilter {
            signing_domain: Some(name.clone()),
            selector: None,
        };
        if self.ports.keys.count_keys(tenant.id, &filter).await? > 0 {
            Ok(name.clone())
        } else {
            Err(Error::NotFound(Entity::Domain))
        }
    }

    async fn rotation_view(&self, tenant: TenantId, authority: DomainName) -> Result<RotationView> {
        Ok(RotationView {
            policy: self.policy(tenant, &authority).await?,
            keys: self.authority_keys(tenant, &authority).await?,
            delegation: self.delegation(tenant, &authority).await?,
            authority,
        })
    }

    pub(super) async fn policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<RotationPolicy> {
        Ok(self
            .ports
            .rotation
            .rotation_policy(tenant, authority)
            .await?
            .unwrap_or_default())
    }

    pub(super) async fn authority_keys(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Vec<DkimKey>> {
        let filter = KeyFilter {
            signing_domain: Some(authority.clone()),
            selector: None,
        };
        self.keys_of(tenant, filter).await
    }
}

/// A key deleted between the read and the step needs nothing more.
fn gone_meanwhile(e: Error) -> Result<()> {
    match e {
        Error::NotFound(Entity::Key) => Ok(()),
        e => Err(e),
    }
}

/// Whether a stage entered at `since` (the key's last change for keys
/// staged before the time was kept) has lasted `span` by `now`.
fn due(since: Option<DateTime<Utc>>, key: &DkimKey, span: Span, now: DateTime<Utc>) -> bool {
    since.unwrap_or(key.updated_at) + span.duration() <= now
}
