//! Keys: insert, read, update, delete, per-tenant ids and isolation.

use chrono::{TimeZone as _, Utc};
use signet_domain::ports::{KeyChange, KeyStore as _, NewKey};
use signet_domain::{
    DeleteRule, DnsCheck, DnsStatus, Entity, Error, KeyAlgorithm, KeyFilter, KeyId, KeyQuery,
    KeySpec, PageStart, PrivateKey,
};

use crate::support::{domain, new_key, note, private_key, selector, storage_tests};

storage_tests! {
    async fn an_inserted_key_reads_back_by_id_and_by_name(db) {
        let acme = db.tenant("acme").await;
        let inserted = db
            .store
            .insert_key(acme.id, new_key("Example.com", "Mail2024", true), &note())
            .await
            .unwrap();
        assert_eq!(inserted.id, KeyId(1));
        assert_eq!(inserted.signing_domain.as_str(), "example.com");
        assert_eq!(inserted.selector.as_str(), "Mail2024");
        assert_eq!(inserted.bits, 1024);
        assert_eq!(inserted.public_key, private_key(0).public_key());
        assert!(inserted.active && inserted.default_for_domain);
        assert_eq!(inserted.dns, DnsCheck::default());
        assert_eq!(inserted.created_at, inserted.updated_at);

        let got = db.store.get_key(acme.id, KeyId(1)).await.unwrap();
        assert_eq!(got.as_ref(), Some(&inserted));
        let found = db
            .store
            .find_key(acme.id, &domain("EXAMPLE.com"), &selector("mail2024"))
            .await
            .unwrap();
        assert_eq!(found.as_ref(), Some(&inserted));
        assert_eq!(found.unwrap().selector.as_str(), "Mail2024");
        assert!(db
            .store
            .find_key(acme.id, &domain("example.com"), &selector("other"))
            .await
            .unwrap()
            .is_none());
        assert!(db.store.get_key(acme.id, KeyId(2)).await.unwrap().is_none());
    }

    async fn a_dns_result_lands_only_on_the_record_it_was_looked_up_for(db) {
        let acme = db.tenant("acme").await;
        let key = db.key(&acme, "example.com", "s1").await;
        let looked_up = key.dns_record();
        let check = DnsCheck {
            status: DnsStatus::Valid,
            seen: vec![looked_up.value.clone()],
            checked_at: Some(Utc::now()),
        };
        // Renamed between the lookup and the write: the result is stale.
        let rename = KeyChange { selector: Some(selector("s2")), dns: Some(DnsCheck::default()), ..KeyChange::at(Utc::now()) };
        db.store.update_key(acme.id, key.id, rename, &note()).await.unwrap();
        let stale = db.store.record_dns_check(acme.id, key.id, &looked_up, check.clone(), Utc::now(), &note()).await.unwrap();
        assert!(stale.is_none());
        let now = db.store.get_key(acme.id, key.id).await.unwrap().unwrap();
        assert_eq!(now.dns.status, DnsStatus::Unknown);

        // For the record the key has now, it is stored.
        let current = now.dns_record();
        let fresh = DnsCheck { seen: vec![current.value.clone()], ..check };
        let stored = db.store.record_dns_check(acme.id, key.id, &current, fresh.clone(), Utc::now(), &note()).await.unwrap();
        assert_eq!(stored.map(|s| (s.key.dns.status, s.changed)), Some((DnsStatus::Valid, true)));
        assert!(db.store.record_dns_check(acme.id, KeyId(99), &current, fresh, Utc::now(), &note()).await.unwrap().is_none());
    }

    async fn the_private_key_opens_to_what_was_stored(db) {
        let acme = db.tenant("acme").await;
        let key = db.key(&acme, "example.com", "s1").await;
        let opened = db.store.private_key(acme.id, key.id).await.unwrap().unwrap();
        assert_eq!(*opened.to_pem(), *private_key(0).to_pem());
        assert!(db.store.private_key(acme.id, KeyId(99)).await.unwrap().is_none());
    }

    async fn an_ed25519_key_is_stored_as_ed25519_and_opens_as_one(db) {
        let acme = db.tenant("acme").await;
        let ed = PrivateKey::import("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=").unwrap();
        let new = NewKey { private_key: ed.clone(), ..new_key("example.com", "brisbane", true) };
        let key = db.store.insert_key(acme.id, new, &note()).await.unwrap();
        assert_eq!((key.algorithm, key.bits), (KeyAlgorithm::Ed25519, 256));
        assert_eq!(key.public_key.0, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
        assert_eq!(key.dns_record().value, format!("k=ed25519; p={}", key.public_key));
        assert_eq!(db.store.get_key(acme.id, key.id).await.unwrap(), Some(key.clone()));
        let opened = db.store.private_key(acme.id, key.id).await.unwrap().unwrap();
        assert_eq!(opened.spec(), KeySpec::Ed25519);
        assert_eq!(*opened.to_pkcs8_der(), *ed.to_pkcs8_der());

        // A new private key of the other algorithm changes the key's kind.
        let change = KeyChange { private_key: Some(private_key(0)), ..KeyChange::at(Utc::now()) };
        let rsa = db.store.update_key(acme.id, key.id, change, &note()).await.unwrap();
        assert_eq!((rsa.algorithm, rsa.bits), (KeyAlgorithm::Rsa, 1024));
    }

    async fn ids_are_numbered_per_tenant_and_never_reused(db) {
        let a = db.tenant("a").await;
        let b = db.tenant("b").await;
        assert_eq!(db.key(&a, "a.example", "s1").await.id, KeyId(1));
        assert_eq!(db.key(&a, "a.example", "s2").await.id, KeyId(2));
        assert_eq!(db.key(&b, "b.example", "s1").await.id, KeyId(1));
        assert!(db.store.delete_key(a.id, KeyId(2), DeleteRule::Any, &note()).await.unwrap());
        assert_eq!(db.key(&a, "a.example", "s2").await.id, KeyId(3));
        assert_eq!(db.key(&b, "b.example", "s2").await.id, KeyId(2));
    }

    async fn a_tenant_cannot_reach_another_tenants_keys(db) {
        let a = db.tenant("a").await;
        let b = db.tenant("b").await;
        db.key(&a, "example.com", "s1").await;
        let secret = db.key(&a, "example.com", "s2").await;
        let store = &db.store;
        assert!(store.get_key(b.id, secret.id).await.unwrap().is_none());
        assert!(store
            .find_key(b.id, &domain("example.com"), &selector("s2"))
            .await
            .unwrap()
            .is_none());
        assert!(store.private_key(b.id, secret.id).await.unwrap().is_none());
        let query = KeyQuery { filter: KeyFilter::default(), start: PageStart::First, limit: 10 };
        assert!(store.list_keys(b.id, &query).await.unwrap().is_empty());
        assert_eq!(store.count_keys(b.id, &KeyFilter::default()).await.unwrap(), 0);
        let change = KeyChange { active: Some(false), ..KeyChange::at(Utc::now()) };
        assert!(matches!(
            store.update_key(b.id, secret.id, change, &note()).await,
            Err(Error::NotFound(Entity::Key))
        ));
        assert!(!store.delete_key(b.id, secret.id, DeleteRule::Any, &note()).await.unwrap());
        assert_eq!(store.delete_domain_keys(b.id, &domain("example.com"), &note()).await.unwrap(), 0);
        // A's keys are untouched.
        assert_eq!(store.get_key(a.id, secret.id).await.unwrap(), Some(secret));
        assert_eq!(store.count_keys(a.id, &KeyFilter::default()).await.unwrap(), 2);
        // B may use the same names for its own keys.
        assert_eq!(db.key(&b, "example.com", "s2").await.id, KeyId(1));
    }

    async fn a_name_taken_in_any_case_conflicts(db) {
        let acme = db.tenant("acme").await;
        db.key(&acme, "example.com", "Mail").await;
        for (d, s) in [("example.com", "Mail"), ("EXAMPLE.COM", "mail"), ("example.com", "MAIL")] {
            let err = db.store.insert_key(acme.id, new_key(d, s, false), &note()).await.unwrap_err();
            assert!(matches!(err, Error::Conflict(Entity::Key)), "{d} {s}: {err:?}");
        }
        db.key(&acme, "other.example.com", "mail").await;
        // The failed inserts consumed no ids.
        assert_eq!(db.key(&acme, "example.com", "s2").await.id, KeyId(3));
    }

    async fn a_key_for_a_missing_tenant_is_refused(db) {
        let err = db
            .store
            .insert_key(signet_domain::TenantId(404), new_key("example.com", "s1", false), &note())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(Entity::Tenant)), "{err:?}");
    }

    async fn an_update_changes_only_what_it_names(db) {
        let acme = db.tenant("acme").await;
        let before = db.key(&acme, "example.com", "s1").await;
        let checked_at = Utc::now();
        // The core's clock, not the database host's, stamps the change.
        let stamped = Utc.with_ymd_and_hms(2031, 5, 6, 7, 8, 9).unwrap();
        let change = KeyChange {
            signing_domain: Some(domain("Other.example")),
            selector: Some(selector("New2025")),
            private_key: Some(private_key(1)),
            active: Some(false),
            dns: Some(DnsCheck {
                status: DnsStatus::Invalid,
                seen: vec!["v=spf1 -all".into(), "k=rsa; p=XYZ".into()],
                checked_at: Some(checked_at),
            }),
            default_for_domain: None,
            stage: None,
            only_in: None,
            now: stamped,
        };
        let after = db.store.update_key(acme.id, before.id, change, &note()).await.unwrap();
        assert_eq!(after.id, before.id);
        assert_eq!(after.signing_domain.as_str(), "other.example");
        assert_eq!(after.selector.as_str(), "New2025");
        assert_eq!(after.public_key, private_key(1).public_key());
        assert!(!after.active && !after.default_for_domain);
        assert_eq!(after.dns.status, DnsStatus::Invalid);
        assert_eq!(after.dns.seen, ["v=spf1 -all", "k=rsa; p=XYZ"]);
        let stored_check = after.dns.checked_at.unwrap();
        assert!((stored_check - checked_at).num_microseconds().unwrap().abs() < 1);
        assert_eq!(after.created_at, before.created_at);
        assert_eq!(after.updated_at, stamped);
        assert_eq!(db.store.get_key(acme.id, before.id).await.unwrap(), Some(after.clone()));
        let opened = db.store.private_key(acme.id, before.id).await.unwrap().unwrap();
        assert_eq!(opened.public_key(), private_key(1).public_key());

        let only_active = KeyChange { active: Some(true), ..KeyChange::at(Utc::now()) };
        let again = db.store.update_key(acme.id, before.id, only_active, &note()).await.unwrap();
        assert!(again.active);
        assert_eq!(again.dns, after.dns);
        assert_eq!(again.selector.as_str(), "New2025");
    }

    async fn renaming_onto_a_taken_name_conflicts_and_changes_nothing(db) {
        let acme = db.tenant("acme").await;
        let taken = db.key(&acme, "example.com", "taken").await;
        let moving = db.key(&acme, "example.com", "s1").await;
        let elsewhere = db.key(&acme, "other.example", "taken").await;
        let attempts = [
            KeyChange { selector: Some(selector("TAKEN")), ..KeyChange::at(Utc::now()) },
            KeyChange { selector: Some(selector("taken")), active: Some(false), ..KeyChange::at(Utc::now()) },
        ];
        for change in attempts {
            let err = db.store.update_key(acme.id, moving.id, change, &note()).await.unwrap_err();
            assert!(matches!(err, Error::Conflict(Entity::Key)), "{err:?}");
        }
        let to_other_domain = KeyChange {
            signing_domain: Some(domain("example.com")),
            ..KeyChange::at(Utc::now())
        };
        let err = db.store.update_key(acme.id, elsewhere.id, to_other_domain, &note()).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(Entity::Key)), "{err:?}");
        for key in [taken, moving, elsewhere] {
            assert_eq!(db.store.get_key(acme.id, key.id).await.unwrap(), Some(key));
        }
    }

    async fn renaming_a_key_to_its_own_name_in_another_case_is_allowed(db) {
        let acme = db.tenant("acme").await;
        let key = db.key(&acme, "example.com", "mail").await;
        let change = KeyChange { selector: Some(selector("MAIL")), ..KeyChange::at(Utc::now()) };
        let after = db.store.update_key(acme.id, key.id, change, &note()).await.unwrap();
        assert_eq!(after.selector.as_str(), "MAIL");
    }

    async fn updating_or_deleting_a_missing_key_says_so(db) {
        let acme = db.tenant("acme").await;
        let err = db
            .store
            .update_key(acme.id, KeyId(7), KeyChange::at(Utc::now()), &note())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(Entity::Key)), "{err:?}");
        assert!(!db.store.delete_key(acme.id, KeyId(7), DeleteRule::Any, &note()).await.unwrap());
    }

    async fn deleting_a_key_removes_it(db) {
        let acme = db.tenant("acme").await;
        let key = db.key(&acme, "example.com", "s1").await;
        assert!(db.store.delete_key(acme.id, key.id, DeleteRule::Any, &note()).await.unwrap());
        assert!(db.store.get_key(acme.id, key.id).await.unwrap().is_none());
        assert!(!db.store.delete_key(acme.id, key.id, DeleteRule::Any, &note()).await.unwrap());
        // Its name is free again.
        db.key(&acme, "example.com", "s1").await;
    }

    async fn deleting_a_domains_keys_leaves_other_domains(db) {
        let acme = db.tenant("acme").await;
        db.key(&acme, "example.com", "s1").await;
        db.key(&acme, "example.com", "s2").await;
        let kept = db.key(&acme, "sub.example.com", "s1").await;
        let removed = db.store.delete_domain_keys(acme.id, &domain("example.com"), &note()).await.unwrap();
        assert_eq!(removed, 2);
        assert_eq!(db.store.count_keys(acme.id, &KeyFilter::default()).await.unwrap(), 1);
        assert_eq!(db.store.get_key(acme.id, kept.id).await.unwrap(), Some(kept));
    }
}
