//! Listing and counting keys: pages from every kind of start, and filters.

use sea_orm::{ConnectionTrait as _, DatabaseConnection};
use signet_domain::ports::KeyStore as _;
use signet_domain::{DeleteRule, Entity, Error, KeyFilter, KeyId, KeyQuery, PageStart, TenantId};
use signet_migrations::{Migrator, MigratorTrait as _};

use crate::support::{domain, new_key, note, selector, storage_tests, TestDb};

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

/// The tenant's keys as the database counts them, beside the two totals
/// the adapter answers with: `count_keys` and a page's.
async fn totals(db: &TestDb, raw: &DatabaseConnection, tenant: TenantId) -> [u64; 3] {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM dkim_keys WHERE tenant_id = {}",
        tenant.0
    );
    let row = raw.query_one(sea_orm::Statement::from_string(
        raw.get_database_backend(),
        sql,
    ));
    let counted: i64 = row.await.unwrap().unwrap().try_get("", "n").unwrap();
    let all = KeyFilter::default();
    let query = KeyQuery {
        filter: all.clone(),
        start: PageStart::First,
        limit: 1,
    };
    [
        u64::try_from(counted).unwrap(),
        db.store.count_keys(tenant, &all).await.unwrap(),
        db.store.page_keys(tenant, &query).await.unwrap().total,
    ]
}

storage_tests! {
    async fn offset_pages_count_only_the_keys_that_remain(db) {
        let acme = db.tenant("acme").await;
        for n in 1..=8 {
            let domain = if n % 2 == 0 { "even.example" } else { "odd.example" };
            db.key(&acme, domain, &format!("s{n}")).await;
        }
        for id in [2, 3, 5] {
            assert!(db.store.delete_key(acme.id, KeyId(id), DeleteRule::Any, &note()).await.unwrap());
        }
        // Left: 1, 4, 6, 7, 8.
        let all = KeyFilter::default();
        assert_eq!(page(&db, &acme, &all, PageStart::Offset(1), 2).await, [4, 6]);
        assert_eq!(page(&db, &acme, &all, PageStart::Offset(2), 10).await, [6, 7, 8]);
        assert_eq!(page(&db, &acme, &all, PageStart::Offset(4), 10).await, [8]);
        assert!(page(&db, &acme, &all, PageStart::Offset(5), 10).await.is_empty());
        let even = KeyFilter { signing_domain: Some(domain("even.example")), selector: None };
        assert_eq!(page(&db, &acme, &even, PageStart::Offset(1), 10).await, [6, 8]);
        assert_eq!(page(&db, &acme, &even, PageStart::Offset(2), 1).await, [8]);
        let query = KeyQuery { filter: even, start: PageStart::Offset(1), limit: 1 };
        let found = db.store.page_keys(acme.id, &query).await.unwrap();
        assert_eq!((found.keys[0].id, found.total), (KeyId(6), 3));
        let past = KeyQuery { filter: all, start: PageStart::Offset(9), limit: 1 };
        let found = db.store.page_keys(acme.id, &past).await.unwrap();
        assert_eq!((found.keys.len(), found.total), (0, 5));
    }

    async fn totals_follow_every_insert_and_delete_of_the_tenant_alone(db) {
        let raw = db.raw().await;
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        assert_eq!(totals(&db, &raw, acme.id).await, [0, 0, 0]);
        for n in 1..=5 {
            db.key(&acme, "a.example", &format!("s{n}")).await;
            db.key(&acme, "b.example", &format!("s{n}")).await;
        }
        db.key(&other, "a.example", "s1").await;
        assert_eq!(totals(&db, &raw, acme.id).await, [10, 10, 10]);
        // A refused insert counts nothing.
        let twice = db.store.insert_key(acme.id, new_key("a.example", "S1", false), &note()).await;
        assert!(matches!(twice, Err(Error::Conflict(Entity::Key))));
        assert_eq!(totals(&db, &raw, acme.id).await, [10, 10, 10]);
        assert!(db.store.delete_key(acme.id, KeyId(1), DeleteRule::Any, &note()).await.unwrap());
        // A delete that finds nothing, or another tenant's key, counts nothing.
        assert!(!db.store.delete_key(acme.id, KeyId(1), DeleteRule::Any, &note()).await.unwrap());
        assert!(!db.store.delete_key(other.id, KeyId(2), DeleteRule::Any, &note()).await.unwrap());
        assert_eq!(totals(&db, &raw, acme.id).await, [9, 9, 9]);
        let removed = db.store.delete_domain_keys(acme.id, &domain("b.example"), &note()).await.unwrap();
        assert_eq!(removed, 5);
        assert_eq!(totals(&db, &raw, acme.id).await, [4, 4, 4]);
        assert_eq!(totals(&db, &raw, other.id).await, [1, 1, 1]);
    }

    async fn concurrent_inserts_and_deletes_keep_the_count_exact(db) {
        let raw = db.raw().await;
        let acme = db.tenant("acme").await;
        for n in 0..20 {
            db.key(&acme, "example.com", &format!("old{n}")).await;
        }
        let tasks: Vec<_> = (0..40u32)
            .map(|n| {
                let store = db.store.clone();
                tokio::spawn(async move {
                    if n % 2 == 0 {
                        let key = new_key("example.com", &format!("new{n}"), false);
                        store.insert_key(acme.id, key, &note()).await.map(drop)
                    } else {
                        let id = KeyId(i64::from(n / 2 + 1));
                        store.delete_key(acme.id, id, DeleteRule::Any, &note()).await.map(drop)
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(totals(&db, &raw, acme.id).await, [20, 20, 20]);
    }

    async fn the_migration_counts_the_keys_already_stored(db) {
        let raw = db.raw().await;
        let acme = db.tenant("acme").await;
        let empty = db.tenant("empty").await;
        for n in 1..=3 {
            db.key(&acme, "example.com", &format!("s{n}")).await;
        }
        // Back to before the count (and the key version after it), then
        // forward again: counted from the rows.
        Migrator::down(&raw, Some(2)).await.unwrap();
        Migrator::up(&raw, None).await.unwrap();
        assert_eq!(totals(&db, &raw, acme.id).await, [3, 3, 3]);
        assert_eq!(totals(&db, &raw, empty.id).await, [0, 0, 0]);
    }

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
