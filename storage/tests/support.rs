//! A fresh database per test, on SQLite always and on PostgreSQL when
//! `SIGNET_TEST_POSTGRES_URL` is set (required when `CI=true`).

use std::future::Future;
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::Utc;
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, DbBackend, Statement};
use signet_domain::ports::{KeyStore as _, NewKey, TenantStore as _};
use signet_domain::{
    Action, AuditNote, DkimKey, DomainName, KeySize, KeyStage, Origin, PrivateKey, Selector,
    Tenant, TenantName,
};
use signet_storage::{Keyring, MasterKey, Storage};
use signet_testkit::FreshPostgres;
use tempfile::TempDir;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One test's database.
#[derive(Clone)]
pub struct TestDb {
    pub store: Storage,
    /// The URL the store was opened with, to open it again.
    pub url: String,
    /// The SQLite file, if any.
    pub sqlite_file: Option<PathBuf>,
    pub master_key: MasterKey,
}

impl TestDb {
    /// A new tenant.
    pub async fn tenant(&self, name: &str) -> Tenant {
        self.store
            .create_tenant(
                &TenantName::parse(name).unwrap(),
                &note().with_action(Action::TenantCreated),
            )
            .await
            .unwrap()
    }

    /// Inserts a key named (domain, selector).
    pub async fn key(&self, tenant: &Tenant, domain: &str, selector: &str) -> DkimKey {
        self.store
            .insert_key(tenant.id, new_key(domain, selector, false), &note())
            .await
            .unwrap()
    }

    /// A second, raw connection to the same database, for looking under the adapter.
    pub async fn raw(&self) -> DatabaseConnection {
        Database::connect(&self.url).await.unwrap()
    }

    /// Opens the same database with another keyring.
    pub async fn reopen(&self, keyring: Keyring) -> Storage {
        Storage::connect(&self.url, keyring).await.unwrap()
    }
}

/// Runs a test body against a fresh database of `backend`, then drops the
/// database (PostgreSQL) or its directory (SQLite), even if the body panics.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let master_key = MasterKey::generate().unwrap();
    let keyring = Keyring::new(master_key.clone());
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new().unwrap();
            let file = dir.path().join("signet.db");
            let url = format!("sqlite://{}?mode=rwc", file.display());
            let store = Storage::connect(&url, keyring).await.unwrap();
            store.migrate().await.unwrap();
            let db = TestDb {
                store,
                url,
                sqlite_file: Some(file),
                master_key,
            };
            finish(tokio::spawn(body(db)).await);
        }
        Backend::Postgres => {
            let Some(database) = FreshPostgres::create().await else {
                return;
            };
            let url = database.url().to_owned();
            let store = Storage::connect(&url, keyring).await.unwrap();
            store.migrate().await.unwrap();
            let db = TestDb {
                store,
                url,
                sqlite_file: None,
                master_key,
            };
            let outcome = tokio::spawn(body(db)).await;
            drop(database);
            finish(outcome);
        }
    }
}

fn finish(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs SQL on a raw connection and returns the first column of each row as text.
pub async fn texts(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = conn
        .query_all(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Runs a SQL statement on a raw connection.
pub async fn exec(conn: &DatabaseConnection, sql: &str) {
    conn.execute(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap();
}

/// Whether a raw connection is to PostgreSQL.
pub fn is_postgres(conn: &DatabaseConnection) -> bool {
    conn.get_database_backend() == DbBackend::Postgres
}

/// One of a few 1024-bit keys, generated once per test binary.
pub fn private_key(n: usize) -> PrivateKey {
    static KEYS: OnceLock<Vec<PrivateKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let size = KeySize::try_from(1024u32).unwrap();
        (0..3)
            .map(|_| PrivateKey::generate_rsa(size).unwrap())
            .collect()
    });
    keys[n].clone()
}

/// A key to insert, with the first test private key.
pub fn new_key(domain: &str, selector: &str, default_for_domain: bool) -> NewKey {
    NewKey {
        signing_domain: DomainName::parse(domain).unwrap(),
        selector: Selector::parse(selector).unwrap(),
        private_key: private_key(0),
        active: true,
        default_for_domain,
        stage: KeyStage::Active,
        now: Utc::now(),
    }
}

/// An audit note for a write made by the test, as if from the CLI.
pub fn note() -> AuditNote {
    AuditNote::new(&Origin::cli(), Action::KeyUpdated, Utc::now())
}

/// Parses a domain name.
pub fn domain(name: &str) -> DomainName {
    DomainName::parse(name).unwrap()
}

/// Parses a selector.
pub fn selector(name: &str) -> Selector {
    Selector::parse(name).unwrap()
}

/// Declares tests that run once per backend: `mod name { sqlite, postgres }`.
macro_rules! storage_tests {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                use $crate::support::{run, Backend, TestDb};

                async fn body($db: TestDb) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run(Backend::Sqlite, body).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run(Backend::Postgres, body).await;
                }
            }
        )*
    };
}

pub(crate) use storage_tests;
