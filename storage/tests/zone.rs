//! What Signet's DNS zone serves: keys of delegated domains only, in the
//! stages that need a record, per tenant or all; and each tenant's version.

use chrono::Utc;
use signet_domain::delegation::{ServedKeys as _, ZoneLabel};
use signet_domain::ports::{DomainStore as _, KeyChange, KeyStore as _};
use signet_domain::{KeyStage, SendingDomain, Tenant};

use crate::support::{domain, new_key, note, storage_tests, TestDb};

/// Registers `name` as its own authority, delegated when `label` is given.
async fn register(db: &TestDb, tenant: &Tenant, name: &str, label: Option<&ZoneLabel>) {
    let d = SendingDomain {
        name: domain(name),
        authority: domain(name),
        created_at: Utc::now(),
        zone_label: label.cloned(),
    };
    db.store
        .insert_domain(tenant.id, &d, &note())
        .await
        .unwrap();
}

storage_tests! {
    async fn only_delegated_keys_that_need_a_record_are_served(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let label = ZoneLabel::random();
        let other_label = ZoneLabel::random();
        register(&db, &acme, "example.com", Some(&label)).await;
        register(&db, &acme, "plain.example", None).await;
        register(&db, &other, "example.com", Some(&other_label)).await;
        let pdk1 = db.key(&acme, "example.com", "pdk1").await;
        let pdk2 = db.key(&acme, "example.com", "pdk2").await;
        db.key(&acme, "plain.example", "mx").await;
        db.key(&other, "example.com", "pdk1").await;
        let retired = KeyChange { stage: Some(KeyStage::Retired), ..KeyChange::at(Utc::now()) };
        db.store.update_key(acme.id, pdk2.id, retired, &note()).await.unwrap();

        let mine = db.store.served_keys(Some(acme.id)).await.unwrap();
        assert_eq!(mine.len(), 1, "{mine:?}");
        assert_eq!(mine[0].key.id, pdk1.id);
        assert_eq!(mine[0].label, label);
        let all = db.store.served_keys(None).await.unwrap();
        let labels: Vec<_> = all.iter().map(|s| (s.tenant, s.label.clone())).collect();
        assert_eq!(labels, [(acme.id, label), (other.id, other_label)]);

        let versions = db.store.zone_versions().await.unwrap();
        let acme_version = versions.iter().find(|v| v.tenant == acme.id).unwrap();
        assert_eq!(acme_version.keys, 2, "retired keys count, so retiring one shows");
        assert!(acme_version.changed_at.is_some());
        db.store.insert_key(acme.id, new_key("example.com", "s3", false), &note()).await.unwrap();
        let later = db.store.zone_versions().await.unwrap();
        assert_ne!(later, versions);
    }

    async fn a_zone_label_is_unique_across_tenants(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let label = ZoneLabel::random();
        register(&db, &acme, "example.com", Some(&label)).await;
        let clash = SendingDomain {
            name: domain("example.org"),
            authority: domain("example.org"),
            created_at: Utc::now(),
            zone_label: Some(label.clone()),
        };
        assert!(db.store.insert_domain(other.id, &clash, &note()).await.is_err());
        let back = db.store.get_domain(acme.id, &domain("example.com")).await.unwrap().unwrap();
        assert_eq!(back.zone_label, Some(label));
    }
}
