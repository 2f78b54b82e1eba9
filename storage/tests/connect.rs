//! Opening, migrating and watching the database.

use signet_domain::ports::TenantStore as _;
use signet_domain::Chain;
use signet_storage::{Keyring, MasterKey, Storage, StorageError};

use crate::support::storage_tests;

fn keyring() -> Keyring {
    Keyring::new(MasterKey::generate().unwrap())
}

#[tokio::test]
async fn a_missing_sqlite_file_is_created_and_migrated() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("new.db");
    let store = Storage::connect(&format!("sqlite://{}", file.display()), keyring())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert!(file.exists());
    assert!(store.list_tenants().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_kind_of_url_is_refused() {
    let err = Storage::connect("mysql://localhost/signet", keyring())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::UnsupportedUrl), "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error_without_the_password() {
    let err = Storage::connect("postgres://signet:hunter2@127.0.0.1:1/signet", keyring())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Connect { .. }), "{err}");
    assert_eq!(err.to_string(), "cannot reach PostgreSQL at 127.0.0.1:1");
    assert!(!Chain(&err).to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_fails_at_once_whatever_the_timeout() {
    let started = std::time::Instant::now();
    let url = "postgres://signet@127.0.0.1:1/signet";
    let err = Storage::connect_with_timeout(url, keyring(), std::time::Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Connect { .. }), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_missing_postgres_database_is_named_as_missing() {
    let Some(server) = signet_testkit::postgres::postgres_url() else {
        eprintln!("skipped: no PostgreSQL server configured");
        return;
    };
    let (base, _) = server.rsplit_once('/').expect("a URL with a database");
    let url = format!("{base}/signet_no_such_database");
    let err = Storage::connect(&url, keyring()).await.unwrap_err();
    assert!(matches!(err, StorageError::NoDatabase { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.ends_with("has no database \"signet_no_such_database\": create it first (`createdb signet_no_such_database`)"),
        "{message}"
    );
}

storage_tests! {
    async fn migrating_again_changes_nothing(db) {
        let acme = db.tenant("acme").await;
        db.store.migrate().await.unwrap();
        let again = db.reopen(Keyring::new(db.master_key.clone())).await;
        again.migrate().await.unwrap();
        assert_eq!(again.list_tenants().await.unwrap(), [acme]);
    }

    async fn the_pool_reports_its_connections(db) {
        db.tenant("acme").await;
        let status = db.store.pool_status();
        assert!(status.size >= 1, "{status:?}");
        assert!(status.idle <= status.size, "{status:?}");
    }

    async fn debug_output_names_no_secret(db) {
        let shown = format!("{:?}", db.store);
        assert!(shown.contains(db.master_key.id()), "{shown}");
        assert!(!shown.contains(db.master_key.to_base64().as_str()), "{shown}");
    }
}
