//! At most one default key per (tenant, signing domain), kept in one transaction.

use chrono::Utc;
use signet_domain::ports::{KeyChange, KeyStore as _};
use signet_domain::{KeyFilter, KeyId, KeyQuery, PageStart, Tenant};

use crate::support::{domain, new_key, note, storage_tests, TestDb};

/// The ids of a domain's default keys.
async fn defaults(db: &TestDb, tenant: &Tenant, name: &str) -> Vec<i64> {
    let query = KeyQuery {
        filter: KeyFilter {
            signing_domain: Some(domain(name)),
            selector: None,
        },
        start: PageStart::First,
        limit: 100,
    };
    let keys = db.store.list_keys(tenant.id, &query).await.unwrap();
    keys.iter()
        .filter(|k| k.default_for_domain)
        .map(|k| k.id.0)
        .collect()
}

async fn insert(db: &TestDb, tenant: &Tenant, name: &str, selector: &str, default: bool) -> KeyId {
    db.store
        .insert_key(tenant.id, new_key(name, selector, default), &note())
        .await
        .unwrap()
        .id
}

async fn set_default(db: &TestDb, tenant: &Tenant, id: KeyId, default: bool) {
    let change = KeyChange {
        default_for_domain: Some(default),
        ..KeyChange::at(Utc::now())
    };
    let key = db
        .store
        .update_key(tenant.id, id, change, &note())
        .await
        .unwrap();
    assert_eq!(key.default_for_domain, default);
}

storage_tests! {
    async fn inserting_a_default_key_clears_the_domains_other_default(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        insert(&db, &acme, "example.com", "s1", true).await;
        insert(&db, &acme, "elsewhere.com", "s1", true).await;
        insert(&db, &other, "example.com", "s1", true).await;
        assert_eq!(defaults(&db, &acme, "example.com").await, [1]);
        insert(&db, &acme, "example.com", "s2", false).await;
        assert_eq!(defaults(&db, &acme, "example.com").await, [1]);
        insert(&db, &acme, "example.com", "s3", true).await;
        assert_eq!(defaults(&db, &acme, "example.com").await, [4]);
        assert_eq!(defaults(&db, &acme, "elsewhere.com").await, [2]);
        assert_eq!(defaults(&db, &other, "example.com").await, [1]);
    }

    async fn setting_the_flag_moves_it_and_clearing_leaves_none(db) {
        let acme = db.tenant("acme").await;
        let first = insert(&db, &acme, "example.com", "s1", true).await;
        let second = insert(&db, &acme, "example.com", "s2", false).await;
        set_default(&db, &acme, second, true).await;
        assert_eq!(defaults(&db, &acme, "example.com").await, [second.0]);
        set_default(&db, &acme, second, true).await;
        assert_eq!(defaults(&db, &acme, "example.com").await, [second.0]);
        set_default(&db, &acme, second, false).await;
        assert!(defaults(&db, &acme, "example.com").await.is_empty());
        set_default(&db, &acme, first, true).await;
        assert_eq!(defaults(&db, &acme, "example.com").await, [first.0]);
    }

    async fn a_default_key_moved_to_another_domain_takes_over_its_default(db) {
        let acme = db.tenant("acme").await;
        let moving = insert(&db, &acme, "old.example", "s1", true).await;
        let resident = insert(&db, &acme, "new.example", "s2", true).await;
        let change = KeyChange { signing_domain: Some(domain("new.example")), ..KeyChange::at(Utc::now()) };
        let moved = db.store.update_key(acme.id, moving, change, &note()).await.unwrap();
        assert!(moved.default_for_domain);
        assert_eq!(defaults(&db, &acme, "new.example").await, [moving.0]);
        assert!(defaults(&db, &acme, "old.example").await.is_empty());
        let resident = db.store.get_key(acme.id, resident).await.unwrap().unwrap();
        assert!(!resident.default_for_domain);
    }

    async fn a_key_moved_and_made_default_in_one_change_clears_the_destination(db) {
        let acme = db.tenant("acme").await;
        let moving = insert(&db, &acme, "old.example", "s1", false).await;
        let kept = insert(&db, &acme, "old.example", "s2", true).await;
        insert(&db, &acme, "new.example", "s3", true).await;
        let change = KeyChange {
            signing_domain: Some(domain("new.example")),
            default_for_domain: Some(true),
            ..KeyChange::at(Utc::now())
        };
        db.store.update_key(acme.id, moving, change, &note()).await.unwrap();
        assert_eq!(defaults(&db, &acme, "new.example").await, [moving.0]);
        assert_eq!(defaults(&db, &acme, "old.example").await, [kept.0]);
    }

    async fn a_plain_key_moved_to_another_domain_leaves_its_default_alone(db) {
        let acme = db.tenant("acme").await;
        let moving = insert(&db, &acme, "old.example", "s1", false).await;
        let resident = insert(&db, &acme, "new.example", "s2", true).await;
        let change = KeyChange { signing_domain: Some(domain("new.example")), ..KeyChange::at(Utc::now()) };
        let moved = db.store.update_key(acme.id, moving, change, &note()).await.unwrap();
        assert!(!moved.default_for_domain);
        assert_eq!(defaults(&db, &acme, "new.example").await, [resident.0]);
    }
}
