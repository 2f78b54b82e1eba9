//! Sending domains and their DKIM authority.

use chrono::Utc;
use signet_domain::ports::DomainStore as _;
use signet_domain::{Entity, Error, SendingDomain, Tenant};

use crate::support::{domain, storage_tests, TestDb};

async fn register(db: &TestDb, tenant: &Tenant, name: &str, authority: &str) -> SendingDomain {
    let d = SendingDomain {
        name: domain(name),
        authority: domain(authority),
        created_at: Utc::now(),
    };
    db.store.insert_domain(tenant.id, &d).await.unwrap();
    d
}

async fn names(db: &TestDb, tenant: &Tenant, after: Option<&str>, limit: u64) -> Vec<String> {
    let after = after.map(domain);
    let found = db
        .store
        .list_domains(tenant.id, after.as_ref(), limit)
        .await
        .unwrap();
    found.iter().map(|d| d.name.to_string()).collect()
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
        assert_eq!(names(&db, &acme, None, 10).await, ["a.example", "b.example", "sub.b.example"]);
        assert_eq!(names(&db, &acme, None, 2).await, ["a.example", "b.example"]);
        assert_eq!(names(&db, &acme, Some("a.example"), 10).await, ["b.example", "sub.b.example"]);
        assert!(names(&db, &acme, Some("sub.b.example"), 10).await.is_empty());
        assert_eq!(names(&db, &other, None, 10).await, ["z.example"]);
        assert!(db.store.get_domain(other.id, &domain("a.example")).await.unwrap().is_none());
    }

    async fn a_domain_registered_twice_conflicts_but_not_across_tenants(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let d = register(&db, &acme, "example.com", "example.com").await;
        let err = db.store.insert_domain(acme.id, &d).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(Entity::Domain)), "{err:?}");
        db.store.insert_domain(other.id, &d).await.unwrap();
    }

    async fn authority_is_set_and_delegations_reset(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        register(&db, &acme, "example.com", "example.com").await;
        register(&db, &acme, "a.example.com", "a.example.com").await;
        register(&db, &acme, "b.example.com", "example.com").await;
        register(&db, &other, "c.example.com", "example.com").await;
        db.store
            .set_authority(acme.id, &domain("a.example.com"), &domain("example.com"))
            .await
            .unwrap();
        let a = db.store.get_domain(acme.id, &domain("a.example.com")).await.unwrap().unwrap();
        assert_eq!(a.authority.as_str(), "example.com");

        db.store.reset_delegations(acme.id, &domain("example.com")).await.unwrap();
        for name in ["example.com", "a.example.com", "b.example.com"] {
            let d = db.store.get_domain(acme.id, &domain(name)).await.unwrap().unwrap();
            assert!(d.is_own_authority(), "{name}");
        }
        let c = db.store.get_domain(other.id, &domain("c.example.com")).await.unwrap().unwrap();
        assert_eq!(c.authority.as_str(), "example.com");

        let err = db
            .store
            .set_authority(other.id, &domain("a.example.com"), &domain("example.com"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(Entity::Domain)), "{err:?}");
    }

    async fn a_domain_is_deleted_only_by_its_tenant(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        register(&db, &acme, "example.com", "example.com").await;
        assert!(!db.store.delete_domain(other.id, &domain("example.com")).await.unwrap());
        assert!(db.store.delete_domain(acme.id, &domain("example.com")).await.unwrap());
        assert!(db.store.get_domain(acme.id, &domain("example.com")).await.unwrap().is_none());
        assert!(!db.store.delete_domain(acme.id, &domain("example.com")).await.unwrap());
    }
}
