//! Fleets: made, listed and revoked by the tenant's administrators (the
//! CLI, console owners), and their feed read with a fleet token.

use crate::audit::Action;
use crate::error::{Entity, Error, Result, RuleViolation};
use crate::fleet::{
    Fleet, FleetAccess, FleetDomains, FleetFeed, FleetName, FleetToken, FleetTokenHash,
};
use crate::key::KeyFilter;
use crate::names::DomainName;
use crate::origin::Origin;
use crate::tenant::Tenant;

use super::{Admin, Signet};

impl Admin {
    /// Makes a fleet reading `domains` and its token, to show once.
    /// `Conflict(Fleet)` if the tenant has a fleet of that name;
    /// `NotTenantsDomains` naming every domain the tenant does not have.
    pub async fn create_fleet(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &FleetName,
        domains: &FleetDomains,
    ) -> Result<(Fleet, FleetToken)> {
        let mut missing = Vec::new();
        for domain in domains.as_slice() {
            if !self.has_domain(tenant, domain).await? {
                missing.push(domain.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(RuleViolation::NotTenantsDomains(missing).into());
        }
        let token = FleetToken::generate();
        let note = self.note(origin, Action::FleetCreated);
        let fleet = self
            .ports
            .fleets
            .create_fleet(tenant.id, name, domains, &token.hash(), &note)
            .await?;
        Ok((fleet, token))
    }

    /// Whether `domain` is the tenant's: a sending domain of it, or the
    /// signing domain of one of its keys (GreenArrow's tenants have no
    /// domain rows). Another tenant's names are unknown here, so the
    /// refusal tells nothing about them.
    async fn has_domain(&self, tenant: &Tenant, domain: &DomainName) -> Result<bool> {
        if self
            .ports
            .domains
            .get_domain(tenant.id, domain)
            .await?
            .is_some()
        {
            return Ok(true);
        }
        let filter = KeyFilter {
            signing_domain: Some(domain.clone()),
            selector: None,
        };
        Ok(self.ports.keys.count_keys(tenant.id, &filter).await? > 0)
    }

    /// The tenant's fleets, by name, without tokens.
    pub async fn list_fleets(&self, tenant: &Tenant) -> Result<Vec<Fleet>> {
        self.ports.fleets.list_fleets(tenant.id).await
    }

    /// Revokes a fleet's token; its feed refuses it at once.
    pub async fn revoke_fleet(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        name: &FleetName,
    ) -> Result<()> {
        let note = self.note(origin, Action::FleetRevoked);
        if self
            .ports
            .fleets
            .revoke_fleet(tenant.id, name, &note)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::Fleet))
        }
    }
}

impl Signet {
    /// The feed of the fleet a presented token belongs to; `None` if the
    /// token is not live. A token Signet could not have issued (an API key
    /// among them) is refused without a lookup. Private keys are served
    /// whatever the tenant's export policy: a fleet is the way out it chose.
    pub async fn fleet_feed(&self, presented: &str) -> Result<Option<FleetFeed>> {
        let Some(access) = self.fleet_access(presented).await? else {
            return Ok(None);
        };
        let keys = self
            .ports
            .fleets
            .feed_keys(access.tenant.id, &access.fleet.domains)
            .await?;
        Ok(Some(FleetFeed { access, keys }))
    }

    /// The fleet a presented token belongs to, without its keys; `None` if
    /// the token is not live: how a cached feed is confirmed still served.
    pub async fn fleet_access(&self, presented: &str) -> Result<Option<FleetAccess>> {
        if !FleetToken::is_well_formed(presented) {
            return Ok(None);
        }
        let hash = FleetTokenHash::of(presented);
        self.ports.fleets.fleet_by_token(&hash).await
    }

    /// Records in the audit trail that a fleet was served the feed with
    /// `etag`, unless that feed was the last one recorded for it. True if
    /// recorded.
    pub async fn record_fleet_read(
        &self,
        access: &FleetAccess,
        origin: &Origin,
        etag: &str,
    ) -> Result<bool> {
        if access.last_read.as_deref() == Some(etag) {
            return Ok(false);
        }
        let note = self.note(origin, Action::FleetRead);
        self.ports
            .fleets
            .record_fleet_read(access.tenant.id, &access.fleet, etag, &note)
            .await
    }
}
