//! What the core needs from the outside world, as small role traits.
//!
//! Every method that touches a tenant's data takes the tenant explicitly; only
//! [`TenantStore::tenant_by_api_key`] finds one, for the auth layer. Every
//! method that changes data takes an [`AuditNote`] and writes its events in
//! the change's own transaction, so the trail and the data never disagree.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::algorithm::KeyStage;
use crate::audit::{AuditId, AuditNote, AuditRecord};
use crate::crypto::PrivateKey;
use crate::dns::{DnsCheck, TxtAnswer};
use crate::error::Result;
use crate::fleet::{FeedKey, Fleet, FleetAccess, FleetDomains, FleetName, FleetTokenHash};
use crate::key::{DeleteRule, DkimKey, DnsRecord, KeyFilter, KeyId, KeyPage, KeyQuery};
use crate::key_size::KeySpec;
use crate::names::{DomainName, Selector};
pub use crate::publisher::{DnsUpdater, PublisherStore};
use crate::rotation::RotationPolicy;
use crate::sending_domain::{DomainPage, DomainQuery, SendingDomain};
use crate::tenant::{
    ApiKeyHash, ApiKeyId, ApiKeyInfo, ApiKeyLabel, Tenant, TenantId, TenantName, TenantSettings,
};

/// A key to store.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Signing domain.
    pub signing_domain: DomainName,
    /// Selector.
    pub selector: Selector,
    /// The private key; the store seals it.
    pub private_key: PrivateKey,
    /// May sign mail.
    pub active: bool,
    /// Becomes its domain's default, clearing the others in the same transaction.
    pub default_for_domain: bool,
    /// Its rotation stage: `Active` unless a rotation makes it.
    pub stage: KeyStage,
    /// Creation time.
    pub now: DateTime<Utc>,
}

/// A change to a stored key; `None` leaves a field as it is.
#[derive(Debug, Clone)]
pub struct KeyChange {
    /// New signing domain.
    pub signing_domain: Option<DomainName>,
    /// New selector.
    pub selector: Option<Selector>,
    /// Set or clear the default flag; setting clears the domain's other keys.
    pub default_for_domain: Option<bool>,
    /// New private key (bits and public key follow from it).
    pub private_key: Option<PrivateKey>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// New DNS status (reset to unknown when the record's name or value moves).
    pub dns: Option<DnsCheck>,
    /// New rotation stage; the store stamps the stage's time
    /// (`activated_at`, `retiring_at`, `retired_at`) with `now`.
    pub stage: Option<KeyStage>,
    /// Apply the change only while the key is in this stage; otherwise the
    /// key is returned as it stands, unchanged and unrecorded. The check and
    /// the change are one step, so a background step never undoes a
    /// caller's move that came between its read and its write.
    pub only_in: Option<KeyStage>,
    /// When the change happens: the key's new `updated_at`, from the core's
    /// clock rather than the database host's.
    pub now: DateTime<Utc>,
}

impl KeyChange {
    /// A change at `now` that leaves every field as it is.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            signing_domain: None,
            selector: None,
            default_for_domain: None,
            private_key: None,
            active: None,
            dns: None,
            stage: None,
            only_in: None,
            now,
        }
    }
}

/// A DNS result the store kept: the key as stored, and whether its DNS
/// status moved (a lookup that only confirms it changes nothing a client sees).
#[derive(Debug, Clone)]
pub struct RecordedCheck {
    /// The key after the write.
    pub key: DkimKey,
    /// Whether the key's DNS status (and with it `updated_at`) changed.
    pub changed: bool,
}

/// DKIM keys, with private keys sealed at rest.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a key under the next id of the tenant, made through
    /// `audit.origin.via`, and records `audit` about it.
    /// `Conflict(Key)` if the (signing domain, selector) pair exists already.
    async fn insert_key(&self, tenant: TenantId, key: NewKey, audit: &AuditNote)
        -> Result<DkimKey>;
    /// A key by id.
    async fn get_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<DkimKey>>;
    /// A key by signing domain and selector (case-insensitive).
    async fn find_key(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        selector: &Selector,
    ) -> Result<Option<DkimKey>>;
    /// One page of keys, in ascending id order.
    async fn list_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<Vec<DkimKey>>;
    /// One page of keys, in ascending id order, and how many match in all:
    /// for lists that show a total, fetched with the page in one round trip
    /// where the store can.
    async fn page_keys(&self, tenant: TenantId, query: &KeyQuery) -> Result<KeyPage>;
    /// How many keys match.
    async fn count_keys(&self, tenant: TenantId, filter: &KeyFilter) -> Result<u64>;
    /// Applies a change and records `audit` about the changed key, in one
    /// transaction. `NotFound(Key)` if absent, `Conflict(Key)` if the new
    /// name is taken.
    async fn update_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        change: KeyChange,
        audit: &AuditNote,
    ) -> Result<DkimKey>;
    /// Deletes a key; false if there was none. Under
    /// [`DeleteRule::KeepOneActive`] the check and the delete are one step
    /// (`Rule(LastActiveKey)` if it would leave the domain no active key), so
    /// two concurrent deletes cannot both pass it; under
    /// [`DeleteRule::OnlyIn`] a key in another stage stays (false). Records `audit` about the
    /// deleted key.
    async fn delete_key(
        &self,
        tenant: TenantId,
        id: KeyId,
        rule: DeleteRule,
        audit: &AuditNote,
    ) -> Result<bool>;
    /// Stores a DNS result at `now`, but only if the key still has the
    /// record that was looked up: a rename or a new key since then makes it
    /// stale, and nothing is stored. `None` when stale or when the key is gone.
    /// Records `audit`, and moves `updated_at`, only when the key's DNS
    /// status changes.
    async fn record_dns_check(
        &self,
        tenant: TenantId,
        id: KeyId,
        looked_up: &DnsRecord,
        check: DnsCheck,
        now: DateTime<Utc>,
        audit: &AuditNote,
    ) -> Result<Option<RecordedCheck>>;
    /// Deletes every key of a signing domain, recording `audit` about each;
    /// returns how many.
    async fn delete_domain_keys(
        &self,
        tenant: TenantId,
        domain: &DomainName,
        audit: &AuditNote,
    ) -> Result<u64>;
    /// Unseals a key's private half.
    async fn private_key(&self, tenant: TenantId, id: KeyId) -> Result<Option<PrivateKey>>;
    /// Keys of every tenant whose record was never checked or last checked
    /// before `checked_before`: never-checked first, then oldest check first,
    /// at most `limit`. Only for background re-checks, which then act on each
    /// key for its own tenant.
    async fn keys_due_for_check(
        &self,
        checked_before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(TenantId, KeyId)>>;
}

/// The version of each tenant's keys, which every change to them moves
/// (database triggers, whatever the writer): how a node's read model of the
/// keys learns of a change nobody announced to it. Also how many keys a
/// tenant has, and their ids, for tenants too large to hold whole.
#[async_trait]
pub trait KeyVersions: Send + Sync {
    /// The key version of each of `tenants` that exists, in one round trip.
    async fn key_versions(&self, tenants: &[TenantId]) -> Result<Vec<(TenantId, i64)>>;
    /// A tenant's key version and how many keys it has, read together;
    /// `None` if there is no such tenant.
    async fn key_census(&self, tenant: TenantId) -> Result<Option<(i64, u64)>>;
    /// Every key id of a tenant, ascending: where each offset of its keys
    /// starts, for a tenant too large to hold whole.
    async fn key_ids(&self, tenant: TenantId) -> Result<Vec<KeyId>>;
}

/// Rotation settings and the steps of a rotation that change several keys
/// at once, each in one transaction under the tenant's lock.
#[async_trait]
pub trait RotationStore: Send + Sync {
    /// An authority's rotation settings, if they were ever set.
    async fn rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
    ) -> Result<Option<RotationPolicy>>;
    /// Stores an authority's rotation settings and records `audit` about it.
    async fn set_rotation_policy(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        policy: &RotationPolicy,
        audit: &AuditNote,
    ) -> Result<()>;
    /// Whether a key of the authority has this selector, or a rotation ever
    /// gave one this selector (selectors are never reused).
    async fn selector_used(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        selector: &Selector,
    ) -> Result<bool>;
    /// Stores a rotation's pending keys, of `authority`, and records `audit`
    /// about each. `Rule(PendingKeyWaits)` if a key of the authority is
    /// pending already; `Conflict(Key)` if a selector was ever used, except
    /// by a delegated authority (a domain with a zone label), whose keys
    /// take turns on its pair selectors: then only if a key holds it now.
    async fn start_rotation(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        keys: Vec<NewKey>,
        audit: &AuditNote,
    ) -> Result<Vec<DkimKey>>;
    /// Makes a pending key the active one at `audit.at`: it signs, and it
    /// becomes the default if the default is among the keys it replaces,
    /// which are its signing domain's other active keys of its algorithm and
    /// become retiring. Records `audit` about each key.
    async fn promote_key(&self, tenant: TenantId, id: KeyId, audit: &AuditNote) -> Result<DkimKey>;
    /// Authorities that may have rotation work due, across tenants: those
    /// with rotation enabled or with pending, retiring or retired keys.
    /// Ordered by tenant and name, after `after`, at most `limit`. Only for
    /// the background, which then acts on each for its own tenant.
    async fn rotation_candidates(
        &self,
        after: Option<(TenantId, DomainName)>,
        limit: u64,
    ) -> Result<Vec<(TenantId, DomainName)>>;
}

/// Sending domains.
#[async_trait]
pub trait DomainStore: Send + Sync {
    /// Registers a domain and records `audit` about it; `Conflict(Domain)` if
    /// the tenant has it already.
    async fn insert_domain(
        &self,
        tenant: TenantId,
        domain: &SendingDomain,
        audit: &AuditNote,
    ) -> Result<()>;
    /// A domain by name.
    async fn get_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
    ) -> Result<Option<SendingDomain>>;
    /// One page of the domains the query matches, each with its
    /// authority's default key, and how many match in all. The filtering,
    /// order and paging are the store's, over every domain of the tenant.
    async fn find_domains(&self, tenant: TenantId, query: &DomainQuery) -> Result<DomainPage>;
    /// Sets a domain's DKIM authority and records `audit` about the domain.
    async fn set_authority(
        &self,
        tenant: TenantId,
        name: &DomainName,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<()>;
    /// Makes every domain delegating to `authority` its own authority again,
    /// recording `audit` about each.
    async fn reset_delegations(
        &self,
        tenant: TenantId,
        authority: &DomainName,
        audit: &AuditNote,
    ) -> Result<()>;
    /// Removes a domain and its rotation settings and records `audit` about
    /// it; false if there was none.
    async fn delete_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
        audit: &AuditNote,
    ) -> Result<bool>;
}

/// Tenants and their API keys.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant at `audit.at` and records `audit` for it;
    /// `Conflict(Tenant)` if the name is taken.
    async fn create_tenant(&self, name: &TenantName, audit: &AuditNote) -> Result<Tenant>;
    /// A tenant by name.
    async fn find_tenant(&self, name: &TenantName) -> Result<Option<Tenant>>;
    /// All tenants, by name.
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;
    /// Replaces a tenant's settings and records `audit`.
    async fn update_settings(
        &self,
        tenant: TenantId,
        settings: TenantSettings,
        audit: &AuditNote,
    ) -> Result<Tenant>;
    /// Stores the hash of a new API key, with its owner's label if any,
    /// made at `audit.at`, and records `audit` about it.
    async fn add_api_key(
        &self,
        tenant: TenantId,
        hash: &ApiKeyHash,
        label: Option<&ApiKeyLabel>,
        audit: &AuditNote,
    ) -> Result<ApiKeyId>;
    /// Records that a live key was used at `now`, unless it was recorded as
    /// used less than a minute before (so a busy key costs one write a minute).
    async fn touch_api_key(&self, hash: &ApiKeyHash, now: DateTime<Utc>) -> Result<()>;
    /// A tenant's API keys.
    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyInfo>>;
    /// Revokes an API key at `audit.at` and records `audit` about it; false
    /// (and no event) if the tenant has no such live key.
    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        audit: &AuditNote,
    ) -> Result<bool>;
    /// The tenant owning a live (unrevoked) API key with this hash, and the
    /// key's id (the actor of the caller's changes).
    async fn tenant_by_api_key(&self, hash: &ApiKeyHash) -> Result<Option<(Tenant, ApiKeyId)>>;
    /// Whether the backing store answers (for readiness).
    async fn ping(&self) -> Result<()>;
}

/// Fleets: their tokens (hashed) and the keys they read.
#[async_trait]
pub trait FleetStore: Send + Sync {
    /// Stores a fleet with its token's hash, made at `audit.at`, and records
    /// `audit` about it. `Conflict(Fleet)` if the tenant has one of that name.
    async fn create_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        domains: &FleetDomains,
        token: &FleetTokenHash,
        audit: &AuditNote,
    ) -> Result<Fleet>;
    /// The tenant's fleets, by name.
    async fn list_fleets(&self, tenant: TenantId) -> Result<Vec<Fleet>>;
    /// Revokes a fleet's token: the fleet is deleted (its name free again,
    /// its history kept in the audit trail), and `audit` recorded about it.
    /// False (and no event) if the tenant has no such fleet.
    async fn revoke_fleet(
        &self,
        tenant: TenantId,
        name: &FleetName,
        audit: &AuditNote,
    ) -> Result<bool>;
    /// The fleet a live token with this hash belongs to, with its tenant.
    async fn fleet_by_token(&self, token: &FleetTokenHash) -> Result<Option<FleetAccess>>;
    /// The keys of these signing domains that a fleet receives
    /// ([`FeedKey::is_served`]), unsealed, by domain then selector.
    async fn feed_keys(&self, tenant: TenantId, domains: &FleetDomains) -> Result<Vec<FeedKey>>;
    /// Records that the fleet read the feed with this ETag, unless that is
    /// the ETag last recorded for it: compared and set in one step, so nodes
    /// serving the same change record it once. True if recorded.
    async fn record_fleet_read(
        &self,
        tenant: TenantId,
        fleet: &Fleet,
        etag: &str,
        audit: &AuditNote,
    ) -> Result<bool>;
}

/// The audit trail, read side (the write side is every change's own port).
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// The tenant's events, newest first: only `action` if given, only
    /// older than `before` if given, at most `limit`.
    async fn audit_events(
        &self,
        tenant: TenantId,
        action: Option<&str>,
        before: Option<AuditId>,
        limit: u64,
    ) -> Result<Vec<AuditRecord>>;
}

/// Makes keys (RSA takes seconds, Ed25519 microseconds) without stalling
/// other work.
#[async_trait]
pub trait KeyGenerator: Send + Sync {
    /// Generates a key of this kind for `tenant`, who may hold only a fair
    /// share of the generators. `Busy` if no generator frees up in time.
    async fn generate(&self, tenant: TenantId, spec: KeySpec) -> Result<PrivateKey>;
}

/// Looks up TXT records.
#[async_trait]
pub trait DnsLookup: Send + Sync {
    /// The TXT records at `name`, each record's strings joined. A caching
    /// adapter may answer from its cache.
    async fn txt(&self, name: &str) -> TxtAnswer;

    /// The same, asked of the name servers now and never answered from a
    /// cache: what an explicit check needs, since the tenant may have just
    /// published the record.
    async fn txt_now(&self, name: &str) -> TxtAnswer {
        self.txt(name).await
    }
}

/// The current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
