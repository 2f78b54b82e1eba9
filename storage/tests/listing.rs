//! Listing and counting keys: pages from every kind of start, and filters.

use signet_domain::ports::KeyStore as _;
use signet_domain::{DeleteRule, KeyFilter, KeyId, KeyQuery, PageStart};

use crate::support::{domain, note, selector, storage_tests, TestDb};

/// The ids on one page.
async fn page(
    db: &TestDb,
    tenant: &signet_domain::Tenant,
    filter: &KeyFilter,
    start: PageStart,
    limit: u64,
) -> Vec<i64> {
    let query = KeyQuery {
        filter: filter.clone(),
        start,
        limit,
    };
    let keys = db.store.list_keys(tenant.id, &query).await.unwrap();
    keys.iter().map(|k| k.id.0).collect()
}

storage_tests! {
    async fn pages_start_first_last_after_before_or_at_an_offset(db) {
        let acme = db.tenant("acme").await;
        for n in 1..=10 {
            db.key(&acme, "example.com", &format!("s{n}")).await;
        }
        let all = KeyFilter::default();
        assert_eq!(page(&db, &acme, &all, PageStart::First, 3).await, [1, 2, 3]);
        assert_eq!(page(&db, &acme, &all, PageStart::Last, 3).await, [8, 9, 10]);
        assert_eq!(page(&db, &acme, &all, PageStart::After(KeyId(3)), 3).await, [4, 5, 6]);
        assert_eq!(page(&db, &acme, &all, PageStart::Before(KeyId(8)), 3).await, [5, 6, 7]);
        assert_eq!(page(&db, &acme, &all, PageStart::Before(KeyId(3)), 5).await, [1, 2]);
        assert_eq!(page(&db, &acme, &all, PageStart::Offset(8), 5).await, [9, 10]);
        assert_eq!(page(&db, &acme, &all, PageStart::Offset(0), 2).await, [1, 2]);
        assert!(page(&db, &acme, &all, PageStart::After(KeyId(10)), 5).await.is_empty());
        assert!(page(&db, &acme, &all, PageStart::Before(KeyId(1)), 5).await.is_empty());
        assert!(page(&db, &acme, &all, PageStart::Offset(10), 5).await.is_empty());
        assert_eq!(page(&db, &acme, &all, PageStart::First, 100).await, (1..=10).collect::<Vec<_>>());
        assert_eq!(page(&db, &acme, &all, PageStart::Offset(u64::MAX), u64::MAX).await, Vec::<i64>::new());
        assert_eq!(page(&db, &acme, &all, PageStart::First, u64::MAX).await.len(), 10);
    }

    async fn pages_skip_gaps_left_by_deleted_keys(db) {
        let acme = db.tenant("acme").await;
        for n in 1..=6 {
            db.key(&acme, "example.com", &format!("s{n}")).await;
        }
        for id in [2, 3, 5] {
            assert!(db.store.delete_key(acme.id, KeyId(id), DeleteRule::Any, &note()).await.unwrap());
        }
        let all = KeyFilter::default();
        assert_eq!(page(&db, &acme, &all, PageStart::After(KeyId(1)), 2).await, [4, 6]);
        assert_eq!(page(&db, &acme, &all, PageStart::Before(KeyId(6)), 2).await, [1, 4]);
        assert_eq!(page(&db, &acme, &all, PageStart::Last, 2).await, [4, 6]);
    }

    async fn filters_by_domain_and_case_insensitive_selector(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        db.key(&acme, "a.example", "mail").await; // 1
        db.key(&acme, "b.example", "Mail").await; // 2
        db.key(&acme, "a.example", "news").await; // 3
        db.key(&acme, "b.example", "news").await; // 4
        db.key(&acme, "a.example", "x1").await; // 5
        db.key(&other, "a.example", "mail").await;

        let by_domain = KeyFilter { signing_domain: Some(domain("A.example")), selector: None };
        let by_selector = KeyFilter { signing_domain: None, selector: Some(selector("MAIL")) };
        let both = KeyFilter { signing_domain: Some(domain("b.example")), selector: Some(selector("mail")) };
        assert_eq!(page(&db, &acme, &by_domain, PageStart::First, 10).await, [1, 3, 5]);
        assert_eq!(page(&db, &acme, &by_selector, PageStart::First, 10).await, [1, 2]);
        assert_eq!(page(&db, &acme, &both, PageStart::First, 10).await, [2]);
        assert_eq!(page(&db, &acme, &by_domain, PageStart::After(KeyId(1)), 1).await, [3]);
        assert_eq!(page(&db, &acme, &by_domain, PageStart::Before(KeyId(5)), 1).await, [3]);
        assert_eq!(page(&db, &acme, &by_domain, PageStart::Last, 2).await, [3, 5]);
        assert_eq!(page(&db, &acme, &by_domain, PageStart::Offset(1), 10).await, [3, 5]);

        assert_eq!(db.store.count_keys(acme.id, &KeyFilter::default()).await.unwrap(), 5);
        assert_eq!(db.store.count_keys(acme.id, &by_domain).await.unwrap(), 3);
        assert_eq!(db.store.count_keys(acme.id, &by_selector).await.unwrap(), 2);
        assert_eq!(db.store.count_keys(acme.id, &both).await.unwrap(), 1);
        assert_eq!(db.store.count_keys(other.id, &by_selector).await.unwrap(), 1);
        let none = KeyFilter { signing_domain: Some(domain("c.example")), selector: None };
        assert_eq!(db.store.count_keys(acme.id, &none).await.unwrap(), 0);
    }
}
