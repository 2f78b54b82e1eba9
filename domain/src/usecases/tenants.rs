//! Tenant administration (the CLI's) and authentication (the HTTP layer's).
//! Administration is a type of its own, so the dialects, which hold only
//! [`Signet`], cannot create tenants or issue keys.

use crate::audit::{Action, AuditNote};
use crate::error::{Entity, Error, Result};
use crate::origin::Origin;
use crate::tenant::{
    ApiKeyHash, ApiKeyId, ApiKeyInfo, ApiKeyLabel, ApiKeySecret, Tenant, TenantName, TenantSettings,
};

use super::{Ports, Signet};

/// A new API key: its id and the secret, to show once.
#[derive(Debug)]
pub struct IssuedApiKey {
    /// Identifier, to revoke it later.
    pub id: ApiKeyId,
    /// The key itself; only its hash is stored.
    pub secret: ApiKeySecret,
}

/// Tenant administration: tenants, their settings and API keys. Composed
/// only where administration happens (the CLI, test harnesses).
#[derive(Clone)]
pub struct Admin {
    pub(super) ports: Ports,
}

impl Admin {
    /// Administration over the same adapters as the core.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Creates a tenant with its first API key.
    pub async fn create_tenant(
        &self,
        origin: &Origin,
        name: &TenantName,
    ) -> Result<(Tenant, IssuedApiKey)> {
        let note = self.note(origin, Action::TenantCreated);
        let tenant = self.ports.tenants.create_tenant(name, &note).await?;
        let key = self.issue_api_key(&tenant, origin).await?;
        Ok((tenant, key))
    }

    /// A tenant by name.
    pub async fn tenant(&self, name: &TenantName) -> Result<Tenant> {
        self.ports
            .tenants
            .find_tenant(name)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))
    }

    /// Every tenant.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.ports.tenants.list_tenants().await
    }

    /// Replaces a tenant's settings.
    pub async fn update_tenant_settings(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        settings: TenantSettings,
    ) -> Result<Tenant> {
        let note = self.note(origin, Action::SettingsChanged);
        self.ports
            .tenants
            .update_settings(tenant.id, settings, &note)
            .await
    }

    /// Issues another API key to a tenant.
    pub async fn issue_api_key(&self, tenant: &Tenant, origin: &Origin) -> Result<IssuedApiKey> {
        self.issue_labelled_api_key(tenant, origin, None).await
    }

    /// Issues another API key to a tenant under a label its owner chose.
    pub async fn issue_labelled_api_key(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        label: Option<&ApiKeyLabel>,
    ) -> Result<IssuedApiKey> {
        let secret = ApiKeySecret::generate();
        let note = self.note(origin, Action::ApiKeyCreated);
        let id = self
            .ports
            .tenants
            .add_api_key(tenant.id, &secret.hash(), label, &note)
            .await?;
        Ok(IssuedApiKey { id, secret })
    }

    /// A tenant's API keys, without secrets.
    pub async fn list_api_keys(&self, tenant: &Tenant) -> Result<Vec<ApiKeyInfo>> {
        self.ports.tenants.list_api_keys(tenant.id).await
    }

    /// Revokes an API key; it stops working at once.
    pub async fn revoke_api_key(
        &self,
        tenant: &Tenant,
        origin: &Origin,
        id: ApiKeyId,
    ) -> Result<()> {
        let note = self.note(origin, Action::ApiKeyRevoked);
        if self
            .ports
            .tenants
            .revoke_api_key(tenant.id, id, &note)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::ApiKey))
        }
    }

    /// A note of `action` by `origin`, now.
    pub(super) fn note(&self, origin: &Origin, action: Action) -> AuditNote {
        AuditNote::new(origin, action, self.ports.clock.now())
    }
}

impl Signet {
    /// Records that the key with this hash authenticated a request now (at
    /// most one write a minute per key).
    pub async fn record_api_key_use(&self, hash: &ApiKeyHash) -> Result<()> {
        self.ports
            .tenants
            .touch_api_key(hash, self.ports.clock.now())
            .await
    }

    /// The tenant a presented API key belongs to, if it is live, and the
    /// key's id. A key Signet could not have issued is refused without a
    /// lookup.
    pub async fn authenticate(&self, presented: &str) -> Result<Option<(Tenant, ApiKeyId)>> {
        if !ApiKeySecret::is_well_formed(presented) {
            return Ok(None);
        }
        self.ports
            .tenants
            .tenant_by_api_key(&ApiKeyHash::of(presented))
            .await
    }
}
