//! The sealing canary: a start with a master key that cannot open the
//! database's sealed data is refused, naming the key it needs.

use signet_storage::{Keyring, MasterKey, StorageError};

use crate::support::{storage_tests, texts, TestDb};

/// The id of the master key the canary is sealed with.
async fn canary_kid(db: &TestDb) -> Vec<String> {
    texts(&db.raw().await, "SELECT kid FROM sealing_canary").await
}

/// The error of a check under `keyring`, which must be a wrong master key.
async fn needed_key(db: &TestDb, keyring: Keyring) -> String {
    let err = db
        .reopen(keyring)
        .await
        .check_master_key()
        .await
        .unwrap_err();
    match err {
        StorageError::WrongMasterKey { needed, .. } => needed,
        other => panic!("expected a wrong master key, got {other}"),
    }
}

storage_tests! {
    async fn a_tsig_secret_sealed_under_an_old_master_key_keeps_it_needed(db) {
        db.store.check_master_key().await.unwrap();
        let acme = db.tenant("acme").await;
        let config = signet_domain::PublisherConfig {
            server: "192.0.2.53:53".parse().unwrap(),
            zone: crate::support::domain("example.com"),
            key: signet_domain::tsig::TsigKey::parse("k:hmac-sha256:c2VjcmV0").unwrap(),
        };
        signet_domain::ports::PublisherStore::set_publisher(
            &db.store, acme.id, &config.zone, &config, &crate::support::note(),
        )
        .await
        .unwrap();
        let old = db.master_key.clone();
        let new = MasterKey::generate().unwrap();
        db.reopen(Keyring::new(new.clone()).with_previous(old.clone())).await.check_master_key().await.unwrap();
        assert_eq!(needed_key(&db, Keyring::new(new)).await, old.id());
    }

    async fn a_new_database_gets_a_canary_that_another_key_cannot_open(db) {
        db.store.check_master_key().await.unwrap();
        assert_eq!(canary_kid(&db).await, [db.master_key.id()]);
        // Checked again, it still opens and is left as it is.
        db.store.check_master_key().await.unwrap();

        let other = MasterKey::generate().unwrap();
        let err = db.reopen(Keyring::new(other.clone())).await.check_master_key().await.unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains(db.master_key.id()), "{shown}");
        assert!(shown.contains(other.id()), "{shown}");
        assert!(!shown.contains(db.master_key.to_base64().as_str()), "{shown}");
        assert!(!shown.contains(other.to_base64().as_str()), "{shown}");
        assert_eq!(needed_key(&db, Keyring::new(other)).await, db.master_key.id());
    }

    async fn after_a_rotation_the_canary_moves_to_the_new_key_and_old_keys_still_need_the_old(db) {
        db.store.check_master_key().await.unwrap();
        let acme = db.tenant("acme").await;
        db.key(&acme, "example.com", "s1").await;
        let old = db.master_key.clone();
        let new = MasterKey::generate().unwrap();
        let rotated = Keyring::new(new.clone()).with_previous(old.clone());
        db.reopen(rotated).await.check_master_key().await.unwrap();
        assert_eq!(canary_kid(&db).await, [new.id()]);
        // The DKIM key is still sealed under the old key, so the new one alone
        // is not enough; the old one alone no longer opens the canary.
        assert_eq!(needed_key(&db, Keyring::new(new.clone())).await, old.id());
        assert_eq!(needed_key(&db, Keyring::new(old)).await, new.id());
    }

    async fn a_database_sealed_before_the_canary_is_checked_against_a_sealed_key(db) {
        let acme = db.tenant("acme").await;
        db.key(&acme, "example.com", "s1").await;
        let other = MasterKey::generate().unwrap();
        assert_eq!(needed_key(&db, Keyring::new(other)).await, db.master_key.id());
        assert_eq!(canary_kid(&db).await, Vec::<String>::new());

        db.store.check_master_key().await.unwrap();
        assert_eq!(canary_kid(&db).await, [db.master_key.id()]);
    }
}
