//! Key use cases: create, list, get, update, delete, activate, verify.

use crate::algorithm::KeyStage;
use crate::audit::{Action, AuditNote};
use crate::crypto::PrivateKey;
use crate::dns::{DnsCheck, DnsStatus};
use crate::error::{Entity, Error, Result, RuleViolation};
use crate::key::{DeleteRule, DkimKey, DnsRecord, KeyFilter, KeyId, KeyPage, KeyQuery};
use crate::key_size::KeySpec;
use crate::names::{DomainName, Selector};
use crate::origin::Origin;
use crate::ports::{KeyChange, NewKey};
use crate::tenant::{Tenant, TenantId};

use super::Signet;

/// Where a new key's private half comes from.
#[derive(Debug, Clone)]
pub enum KeyMaterial {
    /// Generate a key of this kind.
    Generate(KeySpec),
    /// Use this imported key.
    Import(PrivateKey),
}

/// Whether a new key becomes its signing domain's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultFlag {
    /// Yes, clearing the flag on the domain's other keys.
    Yes,
    /// No.
    No,
    /// Only if it is the domain's first key (Mailgun's behaviour).
    IfFirst,
}

/// A request to create a key.
#[derive(Debug, Clone)]
pub struct CreateKey {
    /// Signing domain.
    pub signing_domain: DomainName,
    /// Selector, unique (case-insensitive) within the signing domain.
    pub selector: Selector,
    /// Generated or imported.
    pub material: KeyMaterial,
    /// Starts active (GreenArrow) or inactive (Mailgun).
    pub active: bool,
    /// Default flag.
    pub default_for_domain: DefaultFlag,
}

/// A partial update of a key; `None` keeps a field. Bits are read-only.
#[derive(Debug, Clone, Default)]
pub struct KeyUpdate {
    /// Move the key to another signing domain.
    pub signing_domain: Option<DomainName>,
    /// Rename its selector.
    pub selector: Option<Selector>,
    /// Set or clear the default flag.
    pub default_for_domain: Option<bool>,
    /// Replace its private key.
    pub private_key: Option<PrivateKey>,
}

impl Signet {
    /// Creates a key, generating it on a bounded pool if asked to.
    /// RSA keys below the tenant's `min_rsa_bits` are refused before any work.
    pub async fn create_key(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        req: CreateKey,
    ) -> Result<DkimKey> {
        let min = tenant.settings.min_rsa_bits;
        match &req.material {
            KeyMaterial::Generate(spec) => min.check(*spec, false)?,
            KeyMaterial::Import(key) => min.check(key.spec(), true)?,
        }
        let keys = &self.ports.keys;
        // Cheap early answer; the store's unique index settles races.
        if keys
            .find_key(tenant.id, &req.signing_domain, &req.selector)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(Entity::Key));
        }
        let (private_key, action) = match req.material {
            KeyMaterial::Generate(spec) => (
                self.ports.generator.generate(tenant.id, spec).await?,
                Action::KeyCreated,
            ),
            KeyMaterial::Import(key) => (key, Action::KeyImported),
        };
        let default_for_domain = match req.default_for_domain {
            DefaultFlag::Yes => true,
            DefaultFlag::No => false,
            DefaultFlag::IfFirst => {
                let filter = KeyFilter {
                    signing_domain: Some(req.signing_domain.clone()),
                    selector: None,
                };
                keys.count_keys(tenant.id, &filter).await? == 0
            }
        };
        let new = NewKey {
            signing_domain: req.signing_domain,
            selector: req.selector,
            private_key,
            active: req.active,
            default_for_domain,
            stage: KeyStage::Active,
            now: self.ports.clock.now(),
        };
        let note = self.note(origin, action);
        keys.insert_key(tenant.id, new, &note).await
    }

    /// One page of the tenant's keys, ascending by id.
    pub async fn list_keys(&self, tenant: &Tenant, query: &KeyQuery) -> Result<Vec<DkimKey>> {
        self.ports.keys.list_keys(tenant.id, query).await
    }

    /// One page of the tenant's keys, ascending by id, and how many match
    /// the filter in all.
    pub async fn page_keys(&self, tenant: &Tenant, query: &KeyQuery) -> Result<KeyPage> {
        self.ports.keys.page_keys(tenant.id, query).await
    }

    /// A key by id.
    pub async fn get_key(&self, tenant: &Tenant, id: KeyId) -> Result<DkimKey> {
        self.ports
            .keys
            .get_key(tenant.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::Key))
    }

    /// A key by signing domain and selector.
    pub async fn find_key(
        &self,
        tenant: &Tenant,
        domain: &DomainName,
        selector: &Selector,
    ) -> Result<DkimKey> {
        self.ports
            .keys
            .find_key(tenant.id, domain, selector)
            .await?
            .ok_or(Error::NotFound(Entity::Key))
    }

    /// A key's private half, only if the tenant's policy lets it leave Signet.
    pub async fn exportable_private_key(
        &self,
        tenant: &Tenant,
        id: KeyId,
    ) -> Result<Option<PrivateKey>> {
        if !tenant.settings.private_key_export {
            return Ok(None);
        }
        self.ports.keys.private_key(tenant.id, id).await
    }

    /// Changes a key. Moving its record (new name or new key) resets its DNS
    /// status to unknown, so it must be verified again before it signs. A
    /// new private key below the tenant's `min_rsa_bits` is refused.
    pub async fn update_key(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        id: KeyId,
        update: KeyUpdate,
    ) -> Result<DkimKey> {
        let note = self.note(origin, Action::KeyUpdated);
        self.update_key_noted(tenant, id, update, &note).await
    }

    /// [`Signet::update_key`], recorded as `note` says.
    pub(super) async fn update_key_noted(
        &self,
        tenant: &Tenant,
        id: KeyId,
        update: KeyUpdate,
        note: &AuditNote,
    ) -> Result<DkimKey> {
        let current = self.get_key(tenant, id).await?;
        if let Some(key) = &update.private_key {
            tenant.settings.min_rsa_bits.check(key.spec(), true)?;
        }
        let moves_record = update
            .signing_domain
            .as_ref()
            .is_some_and(|d| *d != current.signing_domain)
            // DNS names ignore case, so a change of case alone moves nothing.
            || update
                .selector
                .as_ref()
                .is_some_and(|s| *s != current.selector)
            || update.private_key.is_some();
        let change = KeyChange {
            signing_domain: update.signing_domain,
            selector: update.selector,
            default_for_domain: update.default_for_domain,
            private_key: update.private_key,
            active: None,
            dns: moves_record.then(DnsCheck::default),
            stage: None,
            only_in: None,
            now: note.at,
        };
        self.ports
            .keys
            .update_key(tenant.id, id, change, note)
            .await
    }

    /// Deletes a key by id.
    pub async fn delete_key(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        id: KeyId,
        rule: DeleteRule,
    ) -> Result<()> {
        let key = self.get_key(tenant, id).await?;
        self.delete(tenant, origin, key, rule).await
    }

    /// Deletes a key by signing domain and selector.
    pub async fn delete_key_named(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        domain: &DomainName,
        selector: &Selector,
        rule: DeleteRule,
    ) -> Result<()> {
        let key = self.find_key(tenant, domain, selector).await?;
        self.delete(tenant, origin, key, rule).await
    }

    async fn delete(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        key: DkimKey,
        rule: DeleteRule,
    ) -> Result<()> {
        let note = self.note(origin, Action::KeyDeleted);
        if self
            .ports
            .keys
            .delete_key(tenant.id, key.id, rule, &note)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::Key))
        }
    }

    /// Activates or deactivates a key. Activation needs its DNS record to be
    /// valid; a result older than the freshness window is looked up again.
    pub async fn set_active(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        domain: &DomainName,
        selector: &Selector,
        active: bool,
    ) -> Result<DkimKey> {
        let mut key = self.find_key(tenant, domain, selector).await?;
        if active {
            let fresh = key.dns.status == DnsStatus::Valid
                && key
                    .dns
                    .checked_at
                    .is_some_and(|t| self.ports.clock.now() - t < self.settings.dns_fresh_for);
            if !fresh {
                key = self.verify_key(tenant, origin, key.id).await?;
            }
            match key.dns.status {
                DnsStatus::Valid => {}
                DnsStatus::Unknown => {
                    return Err(RuleViolation::DnsUnanswered(key.dns_record().name).into())
                }
                DnsStatus::Invalid => {
                    return Err(RuleViolation::DnsNotValid {
                        name: key.dns_record().name,
                        found: key.dns.seen,
                    }
                    .into())
                }
            }
        }
        if active && key.stage == KeyStage::Pending {
            // Activating a rotation's key is its promotion: the keys it
            // replaces retire.
            return self.promote_if_published(tenant.id, origin, key).await;
        }
        let action = if active {
            Action::KeyActivated
        } else {
            Action::KeyDeactivated
        };
        let note = self.note(origin, action);
        // A replaced key activated again signs again: it is back in `active`.
        let back = active && key.stage != KeyStage::Active;
        let change = KeyChange {
            active: Some(active),
            stage: back.then_some(KeyStage::Active),
            ..KeyChange::at(note.at)
        };
        self.ports
            .keys
            .update_key(tenant.id, key.id, change, &note)
            .await
    }

    /// Looks the key's record up now and stores the result, unless the
    /// record moved meanwhile (then the key is returned as it now stands).
    /// A change of the key's DNS status is recorded as `origin`'s. A pending
    /// key found published becomes the active one.
    pub async fn verify_key(&self, tenant: &Tenant, origin: &Origin, id: KeyId) -> Result<DkimKey> {
        let key = self.get_key(tenant, id).await?;
        let check = self.check_dns(&key).await;
        let note = self.note(origin, Action::KeyDnsChanged);
        let stored = self
            .ports
            .keys
            .record_dns_check(tenant.id, id, &key.dns_record(), check, note.at, &note)
            .await?;
        match stored {
            Some(stored) => {
                self.promote_if_published(tenant.id, origin, stored.key)
                    .await
            }
            None => self.get_key(tenant, id).await,
        }
    }

    /// Looks a key's record up now, past any DNS cache (the tenant may have
    /// just published it), without storing the result.
    pub async fn check_dns(&self, key: &DkimKey) -> DnsCheck {
        let answer = self.ports.dns.txt_now(&key.dns_record().name).await;
        answer.check(key.algorithm, &key.public_key, self.ports.clock.now())
    }

    /// The records `domain`'s DNS must carry now: those of its keys whose
    /// stage needs one (pending, active, retiring), by key id. `NotFound`
    /// (domain) if the tenant has no key of the domain and no such domain.
    pub async fn zone_records(
        &self,
        tenant: &Tenant,
        domain: &DomainName,
    ) -> Result<Vec<DnsRecord>> {
        let filter = KeyFilter {
            signing_domain: Some(domain.clone()),
            selector: None,
        };
        let keys = self.all_keys(tenant, filter).await?;
        if keys.is_empty() {
            self.get_domain(tenant, domain).await?;
        }
        Ok(keys
            .iter()
            .filter(|k| k.stage.needs_record())
            .map(DkimKey::dns_record)
            .collect())
    }

    /// Every key matching a filter, across pages.
    pub async fn all_keys(&self, tenant: &Tenant, filter: KeyFilter) -> Result<Vec<DkimKey>> {
        self.keys_of(tenant.id, filter).await
    }

    /// [`Signet::all_keys`] by tenant id, for the background.
    pub(super) async fn keys_of(
        &self,
        tenant: TenantId,
        filter: KeyFilter,
    ) -> Result<Vec<DkimKey>> {
        const PAGE: u64 = 500;
        let mut all = Vec::new();
        let mut start = crate::key::PageStart::First;
        loop {
            let query = KeyQuery {
                filter: filter.clone(),
                start,
                limit: PAGE,
            };
            let page = self.ports.keys.list_keys(tenant, &query).await?;
            let done = (page.len() as u64) < PAGE;
            if let Some(last) = page.last() {
                start = crate::key::PageStart::After(last.id);
            }
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }
}
