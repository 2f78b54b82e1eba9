//! The background re-check's query: keys of every tenant whose record was
//! never checked or checked before a time, never-checked first, then oldest.

use chrono::{DateTime, Duration, Utc};
use signet_domain::ports::{KeyChange, KeyStore as _};
use signet_domain::{DkimKey, DnsCheck, DnsStatus, KeyId, Tenant, TenantId};

use crate::support::{note, storage_tests, TestDb};

/// Records a check of `key` at `at`.
async fn checked(db: &TestDb, tenant: &Tenant, key: &DkimKey, at: DateTime<Utc>) {
    let change = KeyChange {
        dns: Some(DnsCheck {
            status: DnsStatus::Invalid,
            seen: Vec::new(),
            checked_at: Some(at),
        }),
        ..KeyChange::at(Utc::now())
    };
    db.store
        .update_key(tenant.id, key.id, change, &note())
        .await
        .unwrap();
}

fn ids(due: &[(TenantId, KeyId)]) -> Vec<(i64, i64)> {
    due.iter().map(|(t, k)| (t.0, k.0)).collect()
}

storage_tests! {
    async fn due_keys_span_tenants_never_checked_first_then_oldest(db) {
        let a = db.tenant("a").await;
        let b = db.tenant("b").await;
        let now = Utc::now();
        let a1 = db.key(&a, "a.example", "s1").await;
        let a2 = db.key(&a, "a.example", "s2").await;
        let a3 = db.key(&a, "a.example", "s3").await;
        let b1 = db.key(&b, "b.example", "s1").await;
        let b2 = db.key(&b, "b.example", "s2").await;
        checked(&db, &a, &a1, now - Duration::hours(2)).await;
        checked(&db, &b, &b1, now - Duration::hours(3)).await;
        // Checked after the cutoff: not due, by a millisecond.
        checked(&db, &a, &a3, now - Duration::minutes(60) + Duration::milliseconds(1)).await;
        let cutoff = now - Duration::minutes(60);

        let due = db.store.keys_due_for_check(cutoff, 10).await.unwrap();

        let expected = [(a.id, a2.id), (b.id, b2.id), (b.id, b1.id), (a.id, a1.id)];
        assert_eq!(ids(&due), ids(&expected));
    }

    async fn the_limit_takes_the_most_overdue(db) {
        let a = db.tenant("a").await;
        let now = Utc::now();
        let never = db.key(&a, "a.example", "never").await;
        let old = db.key(&a, "a.example", "old").await;
        let older = db.key(&a, "a.example", "older").await;
        checked(&db, &a, &old, now - Duration::hours(2)).await;
        checked(&db, &a, &older, now - Duration::hours(5)).await;

        let two = db.store.keys_due_for_check(now, 2).await.unwrap();
        assert_eq!(ids(&two), ids(&[(a.id, never.id), (a.id, older.id)]));
        let one = db.store.keys_due_for_check(now, 1).await.unwrap();
        assert_eq!(ids(&one), ids(&[(a.id, never.id)]));
        assert!(db.store.keys_due_for_check(now, 0).await.unwrap().is_empty());
    }

    async fn nothing_is_due_when_every_key_was_checked_lately(db) {
        let a = db.tenant("a").await;
        let key = db.key(&a, "a.example", "s1").await;
        let now = Utc::now();
        checked(&db, &a, &key, now).await;
        let due = db
            .store
            .keys_due_for_check(now - Duration::seconds(1), 10)
            .await
            .unwrap();
        assert!(due.is_empty(), "{due:?}");
        assert_eq!(
            ids(&db.store.keys_due_for_check(now + Duration::seconds(1), 10).await.unwrap()),
            vec![(a.id.0, key.id.0)]
        );
    }
}
