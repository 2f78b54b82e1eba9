//! Sending domains and their DKIM authority.

use chrono::{Duration, TimeZone as _, Utc};
use signet_domain::ports::{DomainStore as _, KeyChange, KeyStore as _};
use signet_domain::{
    DnsCheck, DnsStatus, DomainOrder, DomainQuery, Entity, Error, SendingDomain, Tenant,
};

use crate::support::{domain, new_key, note, storage_tests, TestDb};

async fn register(db: &TestDb, tenant: &Tenant, name: &str, authority: &str) -> SendingDomain {
    let d = SendingDomain {
        name: domain(name),
        authority: domain(authority),
        created_at: Utc::now(),
        zone_label: None,
    };
    db.store
        .insert_domain(tenant.id, &d, &note())
        .await
        .unwrap();
    d
}

/// Every domain of the tenant, in the given order.
fn all(order: DomainOrder) -> DomainQuery {
    DomainQuery {
        authority: None,
        name_contains: None,
        verified: None,
        order,
        skip: 0,
        limit: 100,
    }
}

/// The names on the page the query finds, and how many match in all.
async fn found(db: &TestDb, tenant: &Tenant, query: DomainQuery) -> (Vec<String>, u64) {
    let page = db.store.find_domains(tenant.id, &query).await.unwrap();
    (
        page.views
            .iter()
            .map(|v| v.domain.name.to_string())
            .collect(),
        page.total,
    )
}

async fn names(db: &TestDb, tenant: &Tenant, skip: u64, limit: u64) -> Vec<String> {
    found(
        db,
        tenant,
        DomainQuery {
            skip,
            limit,
            ..all(DomainOrder::NameAscending)
        },
    )
    .await
    .0
}

/// Registers `name` with `authority` at `at` (seconds after 2030-01-01).
async fn registered_at(db: &TestDb, tenant: &Tenant, name: &str, authority: &str, at: i64) {
    let d = SendingDomain {
        name: domain(name),
        authority: domain(authority),
        created_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(at),
        zone_label: None,
    };
    db.store
        .insert_domain(tenant.id, &d, &note())
        .await
        .unwrap();
}

/// Gives `name` a default key whose record has `status`.
async fn signing_key(db: &TestDb, tenant: &Tenant, name: &str, selector: &str, status: DnsStatus) {
    let key = db
        .store
        .insert_key(tenant.id, new_key(name, selector, true), &note())
        .await
        .unwrap();
    let check = DnsCheck {
        status,
        seen: Vec::new(),
        checked_at: Some(Utc::now()),
    };
    let change = KeyChange {
        dns: Some(check),
        ..KeyChange::at(Utc::now())
    };
    db.store
        .update_key(tenant.id, key.id, change, &note())
        .await
        .unwrap();
}

storage_tests! {
    async fn a_domain_reads_back_and_lists_in_name_order(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let registered = register(&db, &acme, "b.example", "b.example").await;
        register(&db, &acme, "a.example", "a.example").await;
        register(&db, &acme, "sub.b.example", "b.example").await;
        register(&db, &other, "z.example", "z.example").await;
        let got = db.store.get_domain(acme.id, &domain("B.example")).await.unwrap().unwrap();
        assert_eq!(got.name, registered.name);
        assert_eq!(got.authority, registered.authority);
        assert!((got.created_at - registered.created_at).num_microseconds().unwrap().abs() < 1);
        assert_eq!(names(&db, &acme, 0, 10).await, ["a.example", "b.example", "sub.b.example"]);
        assert_eq!(names(&db, &acme, 0, 2).await, ["a.example", "b.example"]);
        assert_eq!(names(&db, &acme, 1, 10).await, ["b.example", "sub.b.example"]);
        assert!(names(&db, &acme, 3, 10).await.is_empty());
        assert_eq!(names(&db, &other, 0, 10).await, ["z.example"]);
        assert!(db.store.get_domain(other.id, &domain("a.example")).await.unwrap().is_none());
    }

    async fn a_domain_registered_twice_conflicts_but_not_across_tenants(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let d = register(&db, &acme, "example.com", "example.com").await;
        let err = db.store.insert_domain(acme.id, &d, &note()).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(Entity::Domain)), "{err:?}");
        db.store.insert_domain(other.id, &d, &note()).await.unwrap();
    }

    async fn authority_is_set_and_delegations_reset(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        register(&db, &acme, "example.com", "example.com").await;
        register(&db, &acme, "a.example.com", "a.example.com").await;
        register(&db, &acme, "b.example.com", "example.com").await;
        register(&db, &other, "c.example.com", "example.com").await;
        db.store
            .set_authority(acme.id, &domain("a.example.com"), &domain("example.com"), &note())
            .await
            .unwrap();
        let a = db.store.get_domain(acme.id, &domain("a.example.com")).await.unwrap().unwrap();
        assert_eq!(a.authority.as_str(), "example.com");

        db.store.reset_delegations(acme.id, &domain("example.com"), &note()).await.unwrap();
        for name in ["example.com", "a.example.com", "b.example.com"] {
            let d = db.store.get_domain(acme.id, &domain(name)).await.unwrap().unwrap();
            assert!(d.is_own_authority(), "{name}");
        }
        let c = db.store.get_domain(other.id, &domain("c.example.com")).await.unwrap().unwrap();
        assert_eq!(c.authority.as_str(), "example.com");

        let err = db
            .store
            .set_authority(other.id, &domain("a.example.com"), &domain("example.com"), &note())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(Entity::Domain)), "{err:?}");
    }

    async fn the_store_filters_orders_and_pages_domains_with_their_signing_keys(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        registered_at(&db, &acme, "b.example", "b.example", 10).await;
        registered_at(&db, &acme, "a.example", "a.example", 30).await;
        registered_at(&db, &acme, "mx.example", "mx.example", 20).await;
        registered_at(&db, &acme, "c.example", "c.example", 30).await;
        registered_at(&db, &other, "z.example", "z.example", 50).await;
        // mail.b.example signs with b.example's key.
        registered_at(&db, &acme, "mail.b.example", "b.example", 40).await;
        signing_key(&db, &acme, "b.example", "s1", DnsStatus::Valid).await;
        signing_key(&db, &acme, "a.example", "s1", DnsStatus::Invalid).await;
        // Not a default key: it signs for no domain.
        db.store.insert_key(acme.id, new_key("c.example", "spare", false), &note()).await.unwrap();
        signing_key(&db, &other, "z.example", "s1", DnsStatus::Valid).await;

        let newest = found(&db, &acme, all(DomainOrder::NewestFirst)).await;
        let expected = ["mail.b.example", "a.example", "c.example", "mx.example", "b.example"];
        assert_eq!(newest, (expected.map(String::from).to_vec(), 5));
        let desc = DomainQuery { skip: 1, limit: 2, ..all(DomainOrder::NameDescending) };
        assert_eq!(found(&db, &acme, desc).await, (vec!["mail.b.example".into(), "c.example".into()], 5));

        let page = db.store.find_domains(acme.id, &all(DomainOrder::NameAscending)).await.unwrap();
        let signing: Vec<_> = page
            .views
            .iter()
            .map(|v| v.signing_key.as_ref().map(|k| (k.signing_domain.to_string(), k.dns.status)))
            .collect();
        assert_eq!(signing, [
            Some(("a.example".into(), DnsStatus::Invalid)),
            Some(("b.example".into(), DnsStatus::Valid)),
            None,
            Some(("b.example".into(), DnsStatus::Valid)),
            None,
        ]);

        let verified = DomainQuery { verified: Some(true), ..all(DomainOrder::NameAscending) };
        assert_eq!(found(&db, &acme, verified).await, (vec!["b.example".into(), "mail.b.example".into()], 2));
        let unverified = DomainQuery { verified: Some(false), ..all(DomainOrder::NameAscending) };
        let expected = ["a.example", "c.example", "mx.example"];
        assert_eq!(found(&db, &acme, unverified).await, (expected.map(String::from).to_vec(), 3));
        let delegated = DomainQuery { authority: Some(domain("b.example")), ..all(DomainOrder::NameAscending) };
        assert_eq!(found(&db, &acme, delegated).await.1, 2);
        let searched = DomainQuery { name_contains: Some("ail".into()), ..all(DomainOrder::NameAscending) };
        assert_eq!(found(&db, &acme, searched).await, (vec!["mail.b.example".into()], 1));
        // LIKE's wildcards are matched literally: `l_` would match `l.`.
        let underscore = DomainQuery { name_contains: Some("l_".into()), ..all(DomainOrder::NameAscending) };
        assert_eq!(found(&db, &acme, underscore).await, (vec![], 0));
        let percent = DomainQuery { name_contains: Some("%".into()), ..all(DomainOrder::NameAscending) };
        assert_eq!(found(&db, &acme, percent).await, (vec![], 0));
        let past_the_end = DomainQuery { skip: u64::MAX, ..all(DomainOrder::NewestFirst) };
        assert_eq!(found(&db, &acme, past_the_end).await, (vec![], 5));
    }

    async fn a_domain_is_deleted_only_by_its_tenant(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        register(&db, &acme, "example.com", "example.com").await;
        assert!(!db.store.delete_domain(other.id, &domain("example.com"), &note()).await.unwrap());
        assert!(db.store.delete_domain(acme.id, &domain("example.com"), &note()).await.unwrap());
        assert!(db.store.get_domain(acme.id, &domain("example.com")).await.unwrap().is_none());
        assert!(!db.store.delete_domain(acme.id, &domain("example.com"), &note()).await.unwrap());
    }
}
