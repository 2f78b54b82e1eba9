//! The read model of the keys (`signet_domain::key_cache`) over the real
//! store: every query answered from memory as the store answers it, and the
//! key version the triggers keep, which tells it of changes it was not told of.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use signet_domain::key_cache::{CachedKeys, KeyCacheSettings, KeyReadModel};
use signet_domain::ports::{KeyChange, KeyStore, KeyVersions as _};
use signet_domain::{
    DeleteRule, DnsCheck, DnsStatus, KeyFilter, KeyId, KeyQuery, PageStart, TenantId,
};

use crate::support::{domain, exec, note, selector, storage_tests, TestDb};

/// The store behind a read model with these settings.
fn cached(db: &TestDb, settings: KeyCacheSettings) -> CachedKeys {
    let store = Arc::new(db.store.clone());
    CachedKeys::new(store.clone(), store, Arc::new(KeyReadModel::new(settings)))
}

/// A read model that trusts its snapshots until swept.
fn trusting() -> KeyCacheSettings {
    KeyCacheSettings {
        max_unverified: Duration::from_secs(3600),
        ..KeyCacheSettings::default()
    }
}

/// Every query of the grid, through both, compared.
async fn same_answers(db: &TestDb, cached: &CachedKeys, tenant: TenantId) {
    let store: &dyn KeyStore = &db.store;
    let filters = [
        KeyFilter::default(),
        KeyFilter {
            signing_domain: Some(domain("a.example")),
            selector: None,
        },
        KeyFilter {
            signing_domain: Some(domain("B.example")),
            selector: None,
        },
        KeyFilter {
            signing_domain: None,
            selector: Some(selector("MAIL")),
        },
        KeyFilter {
            signing_domain: Some(domain("b.example")),
            selector: Some(selector("mail")),
        },
        KeyFilter {
            signing_domain: Some(domain("none.example")),
            selector: None,
        },
    ];
    let mut starts = vec![PageStart::First, PageStart::Last];
    for id in [0, 1, 2, 4, 7, 12, 13, 99] {
        starts.extend([PageStart::After(KeyId(id)), PageStart::Before(KeyId(id))]);
    }
    for n in [0, 1, 3, 8, 11, 50, u64::MAX] {
        starts.push(PageStart::Offset(n));
    }
    for filter in &filters {
        let count = store.count_keys(tenant, filter).await.unwrap();
        assert_eq!(
            cached.count_keys(tenant, filter).await.unwrap(),
            count,
            "{filter:?}"
        );
        for start in &starts {
            for limit in [0, 1, 2, 5, 100, u64::MAX] {
                let query = KeyQuery {
                    filter: filter.clone(),
                    start: *start,
                    limit,
                };
                let expected = store.list_keys(tenant, &query).await.unwrap();
                assert_eq!(
                    cached.list_keys(tenant, &query).await.unwrap(),
                    expected,
                    "{query:?}"
                );
                let expected = store.page_keys(tenant, &query).await.unwrap();
                assert_eq!(
                    cached.page_keys(tenant, &query).await.unwrap(),
                    expected,
                    "{query:?}"
                );
            }
        }
    }
    for id in 0..=14 {
        let expected = store.get_key(tenant, KeyId(id)).await.unwrap();
        assert_eq!(
            cached.get_key(tenant, KeyId(id)).await.unwrap(),
            expected,
            "{id}"
        );
    }
    for (d, s) in [
        ("a.example", "mail"),
        ("b.example", "MAIL"),
        ("b.example", "Mail"),
        ("a.example", "x9"),
        ("c.example", "news"),
        ("a.example", "News"),
    ] {
        let expected = store
            .find_key(tenant, &domain(d), &selector(s))
            .await
            .unwrap();
        assert_eq!(
            cached
                .find_key(tenant, &domain(d), &selector(s))
                .await
                .unwrap(),
            expected,
            "{d} {s}"
        );
    }
}

/// Keys over three domains, selectors in mixed case, with gaps in the ids,
/// beside another tenant's keys of the same names.
async fn mixed_keys(db: &TestDb) -> (TenantId, TenantId) {
    let acme = db.tenant("acme").await;
    let other = db.tenant("other").await;
    let names = [
        ("a.example", "mail"),
        ("b.example", "Mail"),
        ("a.example", "news"),
        ("b.example", "news"),
        ("c.example", "News"),
        ("a.example", "x1"),
        ("b.example", "x2"),
        ("a.example", "MAIL2"),
        ("c.example", "mail"),
        ("a.example", "y1"),
        ("b.example", "y2"),
        ("a.example", "z1"),
    ];
    for (d, s) in names {
        db.key(&acme, d, s).await;
        db.key(&other, d, s).await;
    }
    for id in [3, 6, 10] {
        assert!(db
            .store
            .delete_key(acme.id, KeyId(id), DeleteRule::Any, &note())
            .await
            .unwrap());
    }
    (acme.id, other.id)
}

storage_tests! {
    async fn the_read_model_answers_every_query_as_the_store_does(db) {
        let (acme, other) = mixed_keys(&db).await;
        let cached = cached(&db, KeyCacheSettings::default());
        same_answers(&db, &cached, acme).await;
        same_answers(&db, &cached, other).await;
        let stats = cached.stats();
        assert!(stats.hits > 1000, "answered from memory: {stats:?}");
        assert_eq!(stats.misses, 2, "one load per tenant");
    }

    async fn a_tenants_key_ids_and_census_are_its_keys_ids_and_count(db) {
        let (acme, other) = mixed_keys(&db).await;
        let all = KeyQuery { filter: KeyFilter::default(), start: PageStart::First, limit: 100 };
        for tenant in [acme, other] {
            let keys = db.store.list_keys(tenant, &all).await.unwrap();
            let ids: Vec<KeyId> = keys.iter().map(|k| k.id).collect();
            assert_eq!(db.store.key_ids(tenant).await.unwrap(), ids);
            let (_, count) = db.store.key_census(tenant).await.unwrap().unwrap();
            assert_eq!(count, keys.len() as u64);
        }
        assert_eq!(db.store.key_ids(TenantId(999)).await.unwrap(), []);
        assert_eq!(db.store.key_census(TenantId(999)).await.unwrap(), None);
    }

    async fn a_tenant_over_the_cap_is_read_from_the_store_and_answers_the_same(db) {
        let (acme, _) = mixed_keys(&db).await;
        let settings = KeyCacheSettings { max_tenant_keys: 5, ..KeyCacheSettings::default() };
        let cached = cached(&db, settings);
        same_answers(&db, &cached, acme).await;
        assert_eq!(cached.stats().hits, 0);
    }

    async fn a_full_read_model_evicts_the_least_recently_read_tenant(db) {
        let (acme, other) = mixed_keys(&db).await;
        let settings = KeyCacheSettings { max_keys: 15, residency: Duration::ZERO, ..trusting() };
        let cached = cached(&db, settings);
        let first = KeyQuery { filter: KeyFilter::default(), start: PageStart::First, limit: 1 };
        cached.list_keys(acme, &first).await.unwrap(); // loads acme's 9
        cached.list_keys(other, &first).await.unwrap(); // loads other's 12: acme goes
        cached.list_keys(other, &first).await.unwrap(); // held
        cached.list_keys(acme, &first).await.unwrap(); // loaded again: other goes
        let stats = cached.stats();
        assert_eq!((stats.hits, stats.misses), (1, 3));
    }

    async fn a_full_read_model_keeps_tenants_in_use_and_sends_a_newcomer_to_the_store(db) {
        let (acme, other) = mixed_keys(&db).await;
        let hour = Duration::from_secs(3600);
        let settings = KeyCacheSettings { max_keys: 15, residency: hour, pass: hour, ..trusting() };
        let cached = cached(&db, settings);
        let first = KeyQuery { filter: KeyFilter::default(), start: PageStart::First, limit: 1 };
        cached.list_keys(acme, &first).await.unwrap(); // loads acme's 9
        let from_store = cached.list_keys(other, &first).await.unwrap(); // acme was just read
        assert_eq!(from_store, db.store.list_keys(other, &first).await.unwrap());
        cached.list_keys(acme, &first).await.unwrap(); // still held
        same_answers(&db, &cached, other).await; // every answer from the store, and right
        let stats = cached.stats();
        assert_eq!(stats.hits, 1, "only acme's second read: {stats:?}");
    }

    async fn the_triggers_move_a_tenants_key_version_on_every_change(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let version = |tenant: TenantId| {
            let store = db.store.clone();
            async move { store.key_versions(&[tenant]).await.unwrap()[0].1 }
        };
        let start = (version(acme.id).await, version(other.id).await);
        let key = db.key(&acme, "a.example", "s1").await;
        let inserted = version(acme.id).await;
        assert!(inserted > start.0);
        let change = KeyChange { active: Some(false), ..KeyChange::at(Utc::now()) };
        db.store.update_key(acme.id, key.id, change, &note()).await.unwrap();
        let updated = version(acme.id).await;
        assert!(updated > inserted);
        let check = DnsCheck { status: DnsStatus::Valid, seen: vec![], checked_at: Some(Utc::now()) };
        db.store.record_dns_check(acme.id, key.id, &key.dns_record(), check, Utc::now(), &note()).await.unwrap();
        let checked = version(acme.id).await;
        assert!(checked > updated);
        let raw = db.raw().await;
        exec(&raw, &format!("UPDATE dkim_keys SET active = TRUE WHERE tenant_id = {}", acme.id.0)).await;
        let by_hand = version(acme.id).await;
        assert!(by_hand > checked);
        db.store.delete_key(acme.id, key.id, DeleteRule::Any, &note()).await.unwrap();
        assert!(version(acme.id).await > by_hand);
        assert_eq!(version(other.id).await, start.1, "another tenant's version stays");
        let both = db.store.key_versions(&[acme.id, other.id, TenantId(999)]).await.unwrap();
        assert_eq!(both.len(), 2, "one row per tenant that exists");
    }

    async fn a_change_nobody_announced_is_seen_after_a_sweep_or_a_due_check(db) {
        let acme = db.tenant("acme").await;
        let key = db.key(&acme, "a.example", "s1").await;
        let raw = db.raw().await;
        let deactivate = format!("UPDATE dkim_keys SET active = FALSE WHERE tenant_id = {}", acme.id.0);

        let swept = cached(&db, trusting());
        assert!(swept.get_key(acme.id, key.id).await.unwrap().unwrap().active);
        exec(&raw, &deactivate).await;
        assert!(swept.get_key(acme.id, key.id).await.unwrap().unwrap().active, "held, unswept");
        swept.sweep().await.unwrap();
        assert!(!swept.get_key(acme.id, key.id).await.unwrap().unwrap().active, "dropped by the sweep");

        exec(&raw, &deactivate.replace("FALSE", "TRUE")).await;
        let settings = KeyCacheSettings { max_unverified: Duration::ZERO, ..KeyCacheSettings::default() };
        let checking = cached(&db, settings);
        assert!(checking.get_key(acme.id, key.id).await.unwrap().unwrap().active);
        exec(&raw, &deactivate).await;
        assert!(!checking.get_key(acme.id, key.id).await.unwrap().unwrap().active, "checked by the read");
        assert!(checking.stats().misses >= 2);
    }

    async fn a_write_through_the_read_model_is_read_back_at_once(db) {
        let acme = db.tenant("acme").await;
        let cached = cached(&db, trusting());
        let all = KeyFilter::default();
        assert_eq!(cached.count_keys(acme.id, &all).await.unwrap(), 0);
        let key = cached.insert_key(acme.id, crate::support::new_key("a.example", "s1", true), &note()).await.unwrap();
        assert_eq!(cached.count_keys(acme.id, &all).await.unwrap(), 1);
        let rename = KeyChange { selector: Some(selector("s2")), ..KeyChange::at(Utc::now()) };
        cached.update_key(acme.id, key.id, rename, &note()).await.unwrap();
        assert!(cached.find_key(acme.id, &domain("a.example"), &selector("S2")).await.unwrap().is_some());
        assert!(cached.delete_key(acme.id, key.id, DeleteRule::Any, &note()).await.unwrap());
        assert!(cached.get_key(acme.id, key.id).await.unwrap().is_none());
    }
}
