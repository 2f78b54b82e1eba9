//! Sending-domain use cases: register, view, list, delete, delegate DKIM
//! authority, change the selector, verify.

use crate::algorithm::KeyAlgorithm;
use crate::audit::Action;
use crate::delegation::{selector_pair, ZoneLabel};
use crate::error::{Entity, Error, Result, RuleViolation};
use crate::key::{DkimKey, KeyFilter};
use crate::key_size::{KeySize, KeySpec};
use crate::names::{DomainName, Selector};
use crate::origin::Origin;
use crate::ports::KeyChange;
use crate::sending_domain::{DomainPage, DomainQuery, DomainView, SendingDomain};
use crate::tenant::Tenant;

use super::{CreateKey, DefaultFlag, KeyMaterial, Signet};

/// The selector of a domain's key when none is given: Mailgun's own.
const DEFAULT_SELECTOR: &str = "mx";

fn default_selector() -> Selector {
    Selector::parse(DEFAULT_SELECTOR).expect("a valid literal selector")
}

/// A request to register a sending domain.
#[derive(Debug, Clone)]
pub struct RegisterDomain {
    /// The domain.
    pub name: DomainName,
    /// Selector of its first key; `mx` (Mailgun's own) when `None`.
    pub selector: Option<Selector>,
    /// Size of its first key.
    pub key_size: KeySize,
    /// Be its own authority even when a parent domain is registered.
    pub force_own_authority: bool,
    /// Delegate its DKIM records to Signet's zone (Mailgun's Automatic
    /// Sender Security): it is its own authority (delegation is per
    /// authority), gets a fresh zone label, and its first key's selector is
    /// `pdk1`, so that `selector` must be `None`. Refused when Signet serves
    /// no zone.
    pub delegated: bool,
}

/// The outcome of a change of DKIM authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityChange {
    /// The domain after the change.
    pub view: DomainView,
    /// Whether the authority changed.
    pub changed: bool,
}

impl Signet {
    /// Registers a domain. Unless forced to be its own authority, a parent
    /// domain the tenant registered becomes its authority; otherwise it gets a
    /// key of its own, which signs its mail (the domain's default key).
    pub async fn register_domain(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        req: RegisterDomain,
    ) -> Result<DomainView> {
        if self
            .ports
            .domains
            .get_domain(tenant.id, &req.name)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(Entity::Domain));
        }
        let (zone_label, first_selector) = if req.delegated {
            if self.settings.dns_zone.is_none() {
                return Err(RuleViolation::NoDnsZone.into());
            }
            if req.selector.is_some() {
                return Err(RuleViolation::DelegatedSelectorFixed.into());
            }
            let [first, _] = selector_pair(KeyAlgorithm::Rsa);
            (Some(ZoneLabel::random()), Some(first))
        } else {
            (None, req.selector)
        };
        let root = if req.force_own_authority || req.delegated {
            None
        } else {
            self.registered_root(tenant, &req.name).await?
        };
        let note = self.note(origin, Action::DomainRegistered);
        let domain = SendingDomain {
            authority: root.unwrap_or_else(|| req.name.clone()),
            name: req.name.clone(),
            created_at: note.at,
            zone_label,
        };
        // The domain row first: of two racing registrations only one gets
        // past it, and a failure of the key step removes it again (and the
        // trail says so: both steps happened).
        self.ports
            .domains
            .insert_domain(tenant.id, &domain, &note)
            .await?;
        if domain.is_own_authority() {
            let selector = first_selector.unwrap_or_else(default_selector);
            let key = self
                .ensure_signing_key(tenant, origin, &req.name, &selector, req.key_size)
                .await;
            if let Err(e) = key {
                let undo = self.note(origin, Action::DomainDeleted);
                self.ports
                    .domains
                    .delete_domain(tenant.id, &req.name, &undo)
                    .await?;
                return Err(e);
            }
        }
        self.view(tenant, domain).await
    }

    /// A domain and its signing key.
    pub async fn get_domain(&self, tenant: &Tenant, name: &DomainName) -> Result<DomainView> {
        let domain = self.domain(tenant, name).await?;
        self.view(tenant, domain).await
    }

    /// One page of the tenant's domains that match `query`, and how many
    /// match in all.
    pub async fn find_domains(&self, tenant: &Tenant, query: &DomainQuery) -> Result<DomainPage> {
        let query = DomainQuery {
            // Names are stored lower-case.
            name_contains: query.name_contains.as_ref().map(|s| s.to_ascii_lowercase()),
            ..query.clone()
        };
        let mut page = self.ports.domains.find_domains(tenant.id, &query).await?;
        for view in &mut page.views {
            // Only a delegated domain, or one signing with another
            // domain's keys, can show CNAMEs: the rest cost no lookup.
            let domain = &view.domain;
            if domain.zone_label.is_some() || !domain.is_own_authority() {
                view.delegation = self.delegation(tenant.id, &domain.authority).await?;
            }
        }
        Ok(page)
    }

    /// Removes a domain and its own keys; domains that delegated to it become
    /// their own authority again.
    pub async fn delete_domain(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
    ) -> Result<()> {
        // The domain row first, so nothing can delegate to it once its keys
        // start to go; what remains after a failure is only ever keys.
        let note = self.note(origin, Action::DomainDeleted);
        if !self
            .ports
            .domains
            .delete_domain(tenant.id, name, &note)
            .await?
        {
            return Err(Error::NotFound(Entity::Domain));
        }
        self.ports
            .domains
            .reset_delegations(tenant.id, name, &note.with_action(Action::AuthorityChanged))
            .await?;
        self.ports
            .keys
            .delete_domain_keys(tenant.id, name, &note.with_action(Action::KeyDeleted))
            .await?;
        Ok(())
    }

    /// Makes a domain its own DKIM authority (`own`), or delegates it to the
    /// nearest parent domain the tenant registered.
    pub async fn set_authority(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
        own: bool,
    ) -> Result<AuthorityChange> {
        let domain = self.domain(tenant, name).await?;
        if !own && domain.zone_label.is_some() {
            return Err(RuleViolation::DelegatedOwnAuthority.into());
        }
        let authority = if own {
            name.clone()
        } else {
            self.registered_root(tenant, name)
                .await?
                .ok_or_else(|| RuleViolation::NoRootDomain(name.to_string()))?
        };
        let changed = authority != domain.authority;
        if changed {
            if own && self.default_key(tenant, name).await?.is_none() {
                // Sign with a key of its own, under the selector it used so far.
                let selector = match self.default_key(tenant, &domain.authority).await? {
                    Some(key) => key.selector,
                    None => default_selector(),
                };
                self.ensure_signing_key(tenant, origin, name, &selector, KeySize::DEFAULT)
                    .await?;
            }
            let note = self.note(origin, Action::AuthorityChanged);
            self.ports
                .domains
                .set_authority(tenant.id, name, &authority, &note)
                .await?;
        }
        let view = self.get_domain(tenant, name).await?;
        Ok(AuthorityChange { view, changed })
    }

    /// Renames the selector of the key the domain signs with.
    pub async fn change_selector(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
        selector: Selector,
    ) -> Result<DomainView> {
        let domain = self.domain(tenant, name).await?;
        if self
            .delegated_label(tenant.id, &domain.authority)
            .await?
            .is_some()
        {
            return Err(RuleViolation::DelegatedSelectorFixed.into());
        }
        let key = self
            .default_key(tenant, &domain.authority)
            .await?
            .ok_or(Error::NotFound(Entity::Key))?;
        if key.selector.as_str() != selector.as_str() {
            let update = super::KeyUpdate {
                selector: Some(selector),
                ..Default::default()
            };
            let note = self.note(origin, Action::SelectorChanged);
            self.update_key_noted(tenant, key.id, update, &note).await?;
        }
        self.view(tenant, domain).await
    }

    /// Re-checks the DNS records of the domain's own keys and its signing
    /// key; changes of their DNS status are recorded as `origin`'s. Pending
    /// keys found published become active.
    pub async fn verify_domain(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &DomainName,
    ) -> Result<DomainView> {
        let domain = self.domain(tenant, name).await?;
        let filter = KeyFilter {
            signing_domain: Some(name.clone()),
            selector: None,
        };
        let mut keys = self.all_keys(tenant, filter).await?;
        if let Some(signing) = self.default_key(tenant, &domain.authority).await? {
            if !keys.iter().any(|k| k.id == signing.id) {
                keys.push(signing);
            }
        }
        for key in keys {
            let check = self.check_dns(&key).await;
            let note = self.note(origin, Action::KeyDnsChanged);
            let stored = self
                .ports
                .keys
                .record_dns_check(tenant.id, key.id, &key.dns_record(), check, note.at, &note)
                .await?;
            if let Some(stored) = stored {
                self.promote_if_published(tenant.id, origin, stored.key)
                    .await?;
            }
        }
        self.view(tenant, domain).await
    }

    async fn domain(&self, tenant: &Tenant, name: &DomainName) -> Result<SendingDomain> {
        self.ports
            .domains
            .get_domain(tenant.id, name)
            .await?
            .ok_or(Error::NotFound(Entity::Domain))
    }

    async fn view(&self, tenant: &Tenant, domain: SendingDomain) -> Result<DomainView> {
        let signing_key = self.default_key(tenant, &domain.authority).await?;
        let delegation = self.delegation(tenant.id, &domain.authority).await?;
        Ok(DomainView {
            domain,
            signing_key,
            delegation,
        })
    }

    /// The nearest parent domain the tenant registered.
    async fn registered_root(
        &self,
        tenant: &Tenant,
        name: &DomainName,
    ) -> Result<Option<DomainName>> {
        for parent in name.parents() {
            if self
                .ports
                .domains
                .get_domain(tenant.id, &parent)
                .await?
                .is_some()
            {
                return Ok(Some(parent));
            }
        }
        Ok(None)
    }

    async fn default_key(&self, tenant: &Tenant, domain: &DomainName) -> Result<Option<DkimKey>> {
        let filter = KeyFilter {
            signing_domain: Some(domain.clone()),
            selector: None,
        };
        let keys = self.all_keys(tenant, filter).await?;
        Ok(keys.into_iter().find(|k| k.default_for_domain))
    }

    /// Makes the key (domain, selector) the domain's default, creating it if needed.
    async fn ensure_signing_key(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        domain: &DomainName,
        selector: &Selector,
        size: KeySize,
    ) -> Result<DkimKey> {
        match self
            .ports
            .keys
            .find_key(tenant.id, domain, selector)
            .await?
        {
            Some(key) => {
                let note = self.note(origin, Action::KeyUpdated);
                let change = KeyChange {
                    default_for_domain: Some(true),
                    ..KeyChange::at(note.at)
                };
                self.ports
                    .keys
                    .update_key(tenant.id, key.id, change, &note)
                    .await
            }
            None => {
                let req = CreateKey {
                    signing_domain: domain.clone(),
                    selector: selector.clone(),
                    material: KeyMaterial::Generate(KeySpec::Rsa(size)),
                    active: false,
                    default_for_domain: DefaultFlag::Yes,
                };
                self.create_key(tenant, origin, req).await
            }
        }
    }
}
