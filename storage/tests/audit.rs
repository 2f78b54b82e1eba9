//! The audit trail in the database: append-only whatever the client, written
//! with the change it records or not at all, read newest first.

use chrono::Utc;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};
use signet_domain::ports::{AuditLog as _, DomainStore as _, KeyChange, KeyStore as _};
use signet_domain::{
    Action, Actor, ApiKeyId, AuditNote, DeleteRule, DnsCheck, DnsStatus, Entity, Error, KeyId,
    Origin, SendingDomain, Tenant, Via,
};

use crate::support::{domain, is_postgres, new_key, note, storage_tests, texts, TestDb};

/// A note as a dialect request would write it.
fn from_mailgun(action: Action) -> AuditNote {
    let origin = Origin {
        actor: Actor::ApiKey(ApiKeyId(7)),
        via: Via::Mailgun,
        request_id: Some("req-1".into()),
        ip: Some("192.0.2.1".parse().unwrap()),
    };
    AuditNote::new(&origin, action, Utc::now())
}

async fn count(conn: &DatabaseConnection) -> i64 {
    texts(conn, "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events").await[0]
        .parse()
        .unwrap()
}

/// Runs a statement and returns the database's error, if it refused it.
async fn refused(conn: &DatabaseConnection, sql: &str) -> Option<String> {
    conn.execute(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .err()
        .map(|e| e.to_string())
}

async fn actions(db: &TestDb, tenant: &Tenant) -> Vec<String> {
    let events = db
        .store
        .audit_events(tenant.id, None, None, 100)
        .await
        .unwrap();
    events.iter().map(|e| e.event.action.to_string()).collect()
}

storage_tests! {
    async fn the_database_refuses_to_update_or_delete_an_event(db) {
        let acme = db.tenant("acme").await;
        db.store.insert_key(acme.id, new_key("example.com", "s1", true), &from_mailgun(Action::KeyCreated)).await.unwrap();
        let raw = db.raw().await;
        let before = count(&raw).await;
        assert_eq!(before, 2, "tenant.created and key.created");
        let mut statements = vec![
            "UPDATE audit_events SET action = 'key.deleted'",
            "UPDATE audit_events SET actor_id = NULL WHERE id = (SELECT MAX(id) FROM audit_events)",
            "DELETE FROM audit_events",
            "DELETE FROM audit_events WHERE id = (SELECT MIN(id) FROM audit_events)",
        ];
        if is_postgres(&raw) {
            statements.push("TRUNCATE audit_events");
        }
        for sql in statements {
            let error = refused(&raw, sql).await.unwrap_or_else(|| panic!("{sql} was allowed"));
            assert!(error.contains("append-only"), "{sql}: {error}");
        }
        assert_eq!(count(&raw).await, before);
        let events = db.store.audit_events(acme.id, None, None, 10).await.unwrap();
        assert_eq!(events[0].event.action, Action::KeyCreated);
        assert_eq!(events[0].event.origin.actor, Actor::ApiKey(ApiKeyId(7)));
        // Appending still works.
        db.store.delete_key(acme.id, KeyId(1), DeleteRule::Any, &from_mailgun(Action::KeyDeleted)).await.unwrap();
        assert_eq!(count(&raw).await, before + 1);
    }

    async fn an_event_carries_the_origin_and_the_key_it_is_about(db) {
        let acme = db.tenant("acme").await;
        let key = db.store.insert_key(acme.id, new_key("example.com", "s1", true), &from_mailgun(Action::KeyCreated)).await.unwrap();
        assert_eq!(key.created_via, Some(Via::Mailgun));
        let events = db.store.audit_events(acme.id, None, None, 10).await.unwrap();
        let event = &events[0];
        assert_eq!(event.tenant, acme.id);
        assert_eq!(event.event.origin.via, Via::Mailgun);
        assert_eq!(event.event.origin.request_id.as_deref(), Some("req-1"));
        assert_eq!(event.event.origin.ip, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(event.event.target.key_id, Some(key.id));
        assert_eq!(event.event.target.domain, Some(domain("example.com")));
        assert_eq!(event.event.target.selector.as_ref().map(|s| s.as_str()), Some("s1"));
        assert_eq!(event.event.fingerprint, key.public_key.fingerprint());
    }

    async fn a_failed_change_leaves_no_event(db) {
        let acme = db.tenant("acme").await;
        db.store.insert_key(acme.id, new_key("example.com", "s1", true), &note()).await.unwrap();
        let raw = db.raw().await;
        let before = count(&raw).await;

        let conflict = db.store.insert_key(acme.id, new_key("example.com", "S1", false), &note()).await.unwrap_err();
        assert!(matches!(conflict, Error::Conflict(Entity::Key)), "{conflict:?}");
        db.store.insert_key(acme.id, new_key("example.com", "s2", false), &note()).await.unwrap();
        let after_one = count(&raw).await;
        assert_eq!(after_one, before + 1);
        let rename = KeyChange { selector: Some(crate::support::selector("s1")), ..KeyChange::at(Utc::now()) };
        let taken = db.store.update_key(acme.id, KeyId(2), rename, &note()).await.unwrap_err();
        assert!(matches!(taken, Error::Conflict(Entity::Key)), "{taken:?}");
        let missing = db.store.update_key(acme.id, KeyId(99), KeyChange::at(Utc::now()), &note()).await.unwrap_err();
        assert!(matches!(missing, Error::NotFound(Entity::Key)), "{missing:?}");
        assert!(!db.store.delete_key(acme.id, KeyId(99), DeleteRule::Any, &note()).await.unwrap());
        let registered = SendingDomain { name: domain("example.com"), authority: domain("example.com"), created_at: Utc::now() , zone_label: None};
        db.store.insert_domain(acme.id, &registered, &note()).await.unwrap();
        let twice = db.store.insert_domain(acme.id, &registered, &note()).await.unwrap_err();
        assert!(matches!(twice, Error::Conflict(Entity::Domain)), "{twice:?}");
        assert!(!db.store.delete_domain(acme.id, &domain("other.com"), &note()).await.unwrap());
        assert_eq!(count(&raw).await, after_one + 1, "only the domain's registration");
    }

    async fn a_dns_check_is_recorded_only_when_the_status_changes(db) {
        let acme = db.tenant("acme").await;
        let key = db.store.insert_key(acme.id, new_key("example.com", "s1", true), &note()).await.unwrap();
        let recheck = || AuditNote::new(&Origin::recheck(), Action::KeyDnsChanged, Utc::now());
        let check = |status| DnsCheck { status, seen: vec![], checked_at: Some(Utc::now()) };
        let record = key.dns_record();
        let mut changes = vec![];
        for status in [DnsStatus::Invalid, DnsStatus::Invalid, DnsStatus::Valid, DnsStatus::Valid] {
            let stored = db.store.record_dns_check(acme.id, key.id, &record, check(status), Utc::now(), &recheck()).await.unwrap().unwrap();
            changes.push(stored.changed);
        }
        assert_eq!(changes, [true, false, true, false], "the store reports which checks moved the status");
        let events = db.store.audit_events(acme.id, Some("key.dns_changed"), None, 10).await.unwrap();
        let details: Vec<_> = events.iter().map(|e| e.event.detail.clone().unwrap()).collect();
        assert_eq!(details, ["dns invalid -> valid", "dns unknown -> invalid"]);
        assert!(events.iter().all(|e| e.event.origin == Origin::recheck()));
    }

    async fn events_are_read_newest_first_by_action_and_by_tenant(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        for selector in ["s1", "s2", "s3"] {
            db.store.insert_key(acme.id, new_key("example.com", selector, false), &from_mailgun(Action::KeyCreated)).await.unwrap();
        }
        db.store.insert_key(other.id, new_key("example.com", "s1", false), &from_mailgun(Action::KeyCreated)).await.unwrap();
        assert_eq!(actions(&db, &acme).await, ["key.created", "key.created", "key.created", "tenant.created"]);
        let created = db.store.audit_events(acme.id, Some("key.created"), None, 2).await.unwrap();
        let ids: Vec<_> = created.iter().map(|e| e.event.target.key_id.unwrap().0).collect();
        assert_eq!(ids, [3, 2]);
        let older = db.store.audit_events(acme.id, Some("key.created"), Some(created[1].id), 2).await.unwrap();
        let ids: Vec<_> = older.iter().map(|e| e.event.target.key_id.unwrap().0).collect();
        assert_eq!(ids, [1]);
        assert!(db.store.audit_events(acme.id, Some("key.stolen"), None, 10).await.unwrap().is_empty());
        assert_eq!(actions(&db, &other).await, ["key.created", "tenant.created"]);
    }

    async fn deleting_a_domain_s_keys_records_each_key(db) {
        let acme = db.tenant("acme").await;
        db.store.insert_key(acme.id, new_key("example.com", "s1", false), &note()).await.unwrap();
        db.store.insert_key(acme.id, new_key("example.com", "s2", false), &note()).await.unwrap();
        db.store.insert_key(acme.id, new_key("other.com", "s1", false), &note()).await.unwrap();
        let gone = db.store.delete_domain_keys(acme.id, &domain("example.com"), &note().with_action(Action::KeyDeleted)).await.unwrap();
        assert_eq!(gone, 2);
        let deleted = db.store.audit_events(acme.id, Some("key.deleted"), None, 10).await.unwrap();
        let mut ids: Vec<_> = deleted.iter().map(|e| e.event.target.key_id.unwrap().0).collect();
        ids.sort_unstable();
        assert_eq!(ids, [1, 2]);
    }
}
