//! Seeding through the storage adapter itself, under the server's master
//! key: every private key is sealed as a create would seal it, without
//! paying an RSA generation (or an HTTP round trip) per key. A handful of
//! generated keys is reused; uniqueness is per (domain, selector).

use std::time::Instant;

use anyhow::Context as _;
use chrono::Utc;
use futures::{StreamExt as _, TryStreamExt as _};
use signet_domain::delegation::ZoneLabel;
use signet_domain::ports::{DomainStore as _, KeyStore as _, NewKey};
use signet_domain::{
    Action, AuditNote, DomainName, KeySize, KeyStage, Origin, PrivateKey, Selector, SendingDomain,
    TenantId,
};
use signet_storage::{Keyring, MasterKey, Storage};

/// Distinct key materials seeded keys cycle through.
const MATERIALS: usize = 4;

/// Writes keys and domains into a database Signet uses.
pub struct Seeder {
    storage: Storage,
    materials: Vec<PrivateKey>,
    concurrency: usize,
}

/// Where one seeded key goes.
pub struct Spec {
    /// Its signing domain.
    pub domain: String,
    /// Its selector.
    pub selector: String,
    /// Whether it is its domain's default (and active) key.
    pub default: bool,
}

impl Seeder {
    /// Opens the database under the master key (base64) Signet is given.
    pub async fn open(url: &str, master_key: &str) -> anyhow::Result<Self> {
        let keyring = Keyring::new(MasterKey::from_base64(master_key)?);
        let storage = Storage::connect(url, keyring).await?;
        storage.migrate().await?;
        let generated = (0..MATERIALS)
            .map(|_| tokio::task::spawn_blocking(|| PrivateKey::generate_rsa(KeySize::DEFAULT)));
        let materials = futures::future::try_join_all(generated)
            .await?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        // SQLite takes one writer at a time; PostgreSQL overlaps round trips.
        let concurrency = if url.starts_with("sqlite:") { 2 } else { 8 };
        Ok(Self {
            storage,
            materials,
            concurrency,
        })
    }

    /// Inserts `count` keys into `tenant`, the `i`th as `spec(i)`; returns
    /// their ids in order.
    pub async fn keys(
        &self,
        tenant: i64,
        count: usize,
        spec: impl Fn(usize) -> Spec,
    ) -> anyhow::Result<Vec<i64>> {
        let started = Instant::now();
        let specs: Vec<(usize, Spec)> = (0..count).map(|i| (i, spec(i))).collect();
        // In order, one at a time per slot, so ids follow `i`.
        let ids = futures::stream::iter(specs)
            .map(|(i, spec)| self.key(tenant, i, spec))
            .buffered(self.concurrency)
            .try_collect::<Vec<_>>()
            .await?;
        if count >= 10_000 {
            println!("  seeded {count} keys in {:.1?}", started.elapsed());
        }
        Ok(ids)
    }

    async fn key(&self, tenant: i64, i: usize, spec: Spec) -> anyhow::Result<i64> {
        let key = NewKey {
            signing_domain: DomainName::parse(&spec.domain)?,
            selector: Selector::parse(&spec.selector)?,
            private_key: self.materials[i % MATERIALS].clone(),
            active: spec.default,
            default_for_domain: spec.default,
            stage: KeyStage::Active,
            now: Utc::now(),
        };
        let stored = self
            .storage
            .insert_key(TenantId(tenant), key, &seeded(Action::KeyImported))
            .await
            .with_context(|| format!("seeding key {}/{}", spec.domain, spec.selector))?;
        Ok(stored.id.0)
    }

    /// Registers `count` domains in `tenant`, each its own authority with
    /// its own default key, as Mailgun's `POST /v4/domains` leaves them.
    pub async fn domains(&self, tenant: i64, count: usize) -> anyhow::Result<()> {
        let started = Instant::now();
        futures::stream::iter(0..count)
            .map(|i| async move {
                let name = DomainName::parse(&format!("d{i:05}.example.com"))?;
                let domain = SendingDomain {
                    authority: name.clone(),
                    name: name.clone(),
                    created_at: Utc::now(),
                    zone_label: None,
                };
                self.storage
                    .insert_domain(TenantId(tenant), &domain, &seeded(Action::DomainRegistered))
                    .await?;
                let spec = Spec {
                    domain: name.as_str().to_owned(),
                    selector: "mx".to_owned(),
                    default: true,
                };
                self.key(tenant, i, spec).await
            })
            .buffer_unordered(self.concurrency)
            .try_collect::<Vec<_>>()
            .await?;
        println!("  seeded {count} domains in {:.1?}", started.elapsed());
        Ok(())
    }

    /// Registers `count` delegated domains in `tenant` (each its own
    /// authority, with a zone label and one active key `s1`), as Mailgun's
    /// `use_automatic_sender_security` leaves them; returns the labels in
    /// order.
    pub async fn delegated(&self, tenant: i64, count: usize) -> anyhow::Result<Vec<ZoneLabel>> {
        let started = Instant::now();
        let labels = futures::stream::iter(0..count)
            .map(|i| async move {
                let name = DomainName::parse(&format!("d{i:06}.example.com"))?;
                let label = ZoneLabel::random();
                let domain = SendingDomain {
                    authority: name.clone(),
                    name: name.clone(),
                    created_at: Utc::now(),
                    zone_label: Some(label.clone()),
                };
                self.storage
                    .insert_domain(TenantId(tenant), &domain, &seeded(Action::DomainRegistered))
                    .await?;
                let spec = Spec {
                    domain: name.as_str().to_owned(),
                    selector: "s1".to_owned(),
                    default: true,
                };
                self.key(tenant, i, spec).await?;
                anyhow::Ok(label)
            })
            .buffered(self.concurrency)
            .try_collect::<Vec<_>>()
            .await?;
        println!(
            "  seeded {count} delegated domains in {:.1?}",
            started.elapsed()
        );
        Ok(labels)
    }
}

/// What a seeded row records in the audit trail: the operator's CLI, now.
fn seeded(action: Action) -> AuditNote {
    AuditNote {
        origin: Origin::cli(),
        action,
        at: Utc::now(),
    }
}
