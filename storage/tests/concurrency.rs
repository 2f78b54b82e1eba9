//! Many writers at once: the database settles every race cleanly.

use chrono::Utc;
use signet_domain::ports::{KeyChange, KeyStore as _};
use signet_domain::{DeleteRule, Entity, Error, KeyFilter, KeyId, RuleViolation};

use crate::support::{new_key, note, storage_tests};

storage_tests! {
    async fn of_a_hundred_creates_of_one_name_exactly_one_wins(db) {
        let acme = db.tenant("acme").await;
        let tasks: Vec<_> = (0..100)
            .map(|n| {
                let store = db.store.clone();
                // The same selector in varying case: one name.
                let selector = if n % 2 == 0 { "mail" } else { "MAIL" };
                let key = new_key("example.com", selector, true);
                tokio::spawn(async move { store.insert_key(acme.id, key, &note()).await })
            })
            .collect();
        let mut won = Vec::new();
        let mut conflicts = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(key) => won.push(key),
                Err(Error::Conflict(Entity::Key)) => conflicts += 1,
                Err(other) => panic!("expected a conflict, got {other:?}"),
            }
        }
        assert_eq!(won.len(), 1);
        assert_eq!(conflicts, 99);
        assert_eq!(won[0].id, KeyId(1));
        assert_eq!(db.store.count_keys(acme.id, &KeyFilter::default()).await.unwrap(), 1);
    }

    async fn concurrent_creates_of_distinct_names_get_distinct_ids(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let store = db.store.clone();
                let tenant = if n % 2 == 0 { acme.id } else { other.id };
                let key = new_key("example.com", &format!("s{n}"), n % 5 == 0);
                tokio::spawn(async move { store.insert_key(tenant, key, &note()).await })
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().unwrap().id.0);
        }
        let mut acme_ids: Vec<_> = ids.iter().step_by(2).copied().collect();
        acme_ids.sort_unstable();
        assert_eq!(acme_ids, (1..=25).collect::<Vec<_>>());
        let mut other_ids: Vec<_> = ids.iter().skip(1).step_by(2).copied().collect();
        other_ids.sort_unstable();
        assert_eq!(other_ids, (1..=25).collect::<Vec<_>>());
    }

    async fn concurrent_deletes_never_remove_the_last_active_key(db) {
        let acme = db.tenant("acme").await;
        for round in 0..10 {
            let domain = format!("d{round}.example.com");
            let a = db.store.insert_key(acme.id, new_key(&domain, "a", true), &note()).await.unwrap();
            let b = db.store.insert_key(acme.id, new_key(&domain, "b", false), &note()).await.unwrap();
            let tasks: Vec<_> = [a.id, b.id]
                .into_iter()
                .map(|id| {
                    let store = db.store.clone();
                    tokio::spawn(async move {
                        store.delete_key(acme.id, id, DeleteRule::KeepOneActive, &note()).await
                    })
                })
                .collect();
            let mut deleted = 0;
            let mut refused = 0;
            for task in tasks {
                match task.await.unwrap() {
                    Ok(true) => deleted += 1,
                    Err(Error::Rule(RuleViolation::LastActiveKey)) => refused += 1,
                    other => panic!("expected a delete or a refusal, got {other:?}"),
                }
            }
            assert_eq!((deleted, refused), (1, 1), "round {round}");
            let filter = KeyFilter { signing_domain: Some(crate::support::domain(&domain)), selector: None };
            assert_eq!(db.store.count_keys(acme.id, &filter).await.unwrap(), 1);
        }
    }

    async fn concurrent_default_changes_leave_exactly_one_default(db) {
        let acme = db.tenant("acme").await;
        for n in 0..20 {
            db.key(&acme, "example.com", &format!("s{n}")).await;
        }
        let tasks: Vec<_> = (1..=20)
            .map(|id| {
                let store = db.store.clone();
                let change = KeyChange { default_for_domain: Some(true), ..KeyChange::at(Utc::now()) };
                tokio::spawn(async move { store.update_key(acme.id, KeyId(id), change, &note()).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let query = signet_domain::KeyQuery {
            filter: KeyFilter::default(),
            start: signet_domain::PageStart::First,
            limit: 100,
        };
        let keys = db.store.list_keys(acme.id, &query).await.unwrap();
        assert_eq!(keys.iter().filter(|k| k.default_for_domain).count(), 1);
    }
}
