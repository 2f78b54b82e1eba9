//! DNS publishers: the TSIG secret sealed at rest, the records written kept
//! across a new secret and dropped with a new zone, outcomes stored only
//! for the settings they were attempted with, tenants apart.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait as _, Statement};
use signet_domain::ports::PublisherStore as _;
use signet_domain::tsig::TsigKey;
use signet_domain::{PublishOutcome, PublishStatus, PublisherConfig, TxtRecord, UpdateFailure};

use crate::support::{domain, note, storage_tests, texts};

/// The secret `s3cr3t-tsig-secret-value`, in base64.
const SECRET: &str = "czNjcjN0LXRzaWctc2VjcmV0LXZhbHVl";

fn config(zone: &str) -> PublisherConfig {
    PublisherConfig {
        server: "192.0.2.53:53".parse().unwrap(),
        zone: domain(zone),
        key: TsigKey::parse(&format!("signet-update:hmac-sha256:{SECRET}")).unwrap(),
    }
}

fn record(selector: &str) -> TxtRecord {
    TxtRecord {
        name: format!("{selector}._domainkey.example.com"),
        strings: vec!["k=rsa; p=MIIB".into(), "IjAN".into()],
    }
}

storage_tests! {
    async fn a_publisher_reads_back_with_its_secret_sealed_at_rest(db) {
        let acme = db.tenant("acme").await;
        let other = db.tenant("other").await;
        let authority = domain("example.com");
        let set = db.store.set_publisher(acme.id, &authority, &config("example.com"), &note()).await.unwrap();
        assert_eq!(set.status, PublishStatus::Pending);
        assert_eq!(set.config, config("example.com"));
        assert_eq!(db.store.publisher(acme.id, &authority).await.unwrap(), Some(set.clone()));
        assert_eq!(db.store.publisher(other.id, &authority).await.unwrap(), None);
        assert_eq!(
            db.store.publisher_authorities(None, 10).await.unwrap(),
            [(acme.id, authority.clone())]
        );
        assert!(db.store.publisher_authorities(Some((acme.id, authority.clone())), 10).await.unwrap().is_empty());

        let conn = db.raw().await;
        let rows = texts(&conn, "SELECT server || zone || tsig_name || tsig_algorithm || written FROM dns_publishers").await;
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].contains(SECRET) && !rows[0].contains("s3cr3t"), "{rows:?}");
        let row = conn
            .query_one(Statement::from_string(conn.get_database_backend(), "SELECT tsig_secret_sealed FROM dns_publishers"))
            .await
            .unwrap()
            .unwrap();
        let sealed: Vec<u8> = row.try_get("", "tsig_secret_sealed").unwrap();
        assert!(sealed.len() > b"s3cr3t-tsig-secret-value".len());
        assert!(!sealed.windows(6).any(|w| w == b"s3cr3t"), "sealed, not stored");

        assert!(!db.store.delete_publisher(other.id, &authority, &note()).await.unwrap());
        assert!(db.store.delete_publisher(acme.id, &authority, &note()).await.unwrap());
        assert_eq!(db.store.publisher(acme.id, &authority).await.unwrap(), None);
    }

    async fn outcomes_are_stored_for_the_settings_they_were_attempted_with(db) {
        let acme = db.tenant("acme").await;
        let authority = domain("example.com");
        let first = db.store.set_publisher(acme.id, &authority, &config("example.com"), &note()).await.unwrap();
        let now = Utc::now();
        let published = PublishOutcome::Published { written: vec![record("s1")], added: 1, removed: 0, at: now };
        assert!(db.store.record_publish(acme.id, &authority, first.configured_at, &published, Some(&note())).await.unwrap());
        let stored = db.store.publisher(acme.id, &authority).await.unwrap().unwrap();
        assert_eq!(stored.status, PublishStatus::Ok);
        assert_eq!(stored.written, [record("s1")]);
        assert!(stored.last_published_at.is_some());

        let failed = PublishOutcome::failed(&UpdateFailure::Refused, 3, now);
        assert!(db.store.record_publish(acme.id, &authority, first.configured_at, &failed, None).await.unwrap());
        let stored = db.store.publisher(acme.id, &authority).await.unwrap().unwrap();
        assert_eq!(stored.status, PublishStatus::Failing);
        assert_eq!(stored.failures, 3);
        assert_eq!(stored.written, [record("s1")], "a failure writes nothing");
        assert!(stored.last_error.unwrap().contains("REFUSED"));
        assert!(stored.retry_at.unwrap() > now);

        // Set again (a new secret, same zone): pending, the records kept.
        let mut later = note();
        later.at = now + Duration::seconds(5);
        let second = db.store.set_publisher(acme.id, &authority, &config("example.com"), &later).await.unwrap();
        assert_eq!(second.status, PublishStatus::Pending);
        assert_eq!(second.written, [record("s1")]);
        assert_eq!(second.retry_at, None);
        // An attempt made with the old settings is not stored.
        assert!(!db.store.record_publish(acme.id, &authority, first.configured_at, &published, None).await.unwrap());

        // Another zone: what was written elsewhere is out of reach.
        later.at = now + Duration::seconds(10);
        let moved = db.store.set_publisher(acme.id, &authority, &config("com"), &later).await.unwrap();
        assert!(moved.written.is_empty());
    }
}
