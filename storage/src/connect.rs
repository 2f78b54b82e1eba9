//! Opening the database, migrating it, and the write transactions every
//! adapter uses.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait as _, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, RuntimeErr, TransactionTrait as _,
};
use signet_domain::Cause;
use signet_migrations::{Migrator, MigratorTrait as _};
use tokio::sync::{Mutex, MutexGuard};

use crate::errors::{DbResultExt as _, StorageError};
use crate::sealing::Keyring;

/// Connections in a SQLite pool: readers run in parallel under WAL.
const SQLITE_POOL_SIZE: u32 = 8;
/// Connections in a PostgreSQL pool.
const POSTGRES_POOL_SIZE: u32 = 10;
/// How long a database call may wait (for a connection, a lock, a locked
/// SQLite file, an answer) unless configured otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Arbitrary constant naming the PostgreSQL advisory lock that keeps two
/// nodes from migrating at once.
const MIGRATION_LOCK: i64 = 0x5167_6e65_7401;

/// Signet's database: SQLite or PostgreSQL, with private keys sealed under a
/// keyring. Implements the core's `KeyStore`, `DomainStore` and `TenantStore`.
/// Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    keyring: Keyring,
    /// SQLite allows one writer at a time; writers of this process queue here
    /// instead of failing with "database is locked". `None` on PostgreSQL.
    sqlite_writer: Option<Mutex<()>>,
    /// The bound on each wait for the database.
    timeout: Duration,
    /// Statements sent to the database so far.
    statements: Arc<AtomicU64>,
}

/// How busy the connection pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
}

/// What a URL dials, for an error: PostgreSQL's host and port, or the
/// SQLite file; never the user or password.
fn target(url: &str) -> String {
    if url.starts_with("sqlite:") {
        if let Ok(sqlite) = url.parse::<SqliteConnectOptions>() {
            return format!("the SQLite database {}", sqlite.get_filename().display());
        }
    } else if let Ok(pg) = url.parse::<PgConnectOptions>() {
        return format!("PostgreSQL at {}:{}", pg.get_host(), pg.get_port());
    }
    "the database".to_owned()
}

/// Why PostgreSQL's socket cannot be opened, if it cannot: the pool only
/// says it timed out, which hides a refused connection or an unknown host.
async fn why_unreachable(url: &str, timeout: Duration) -> Option<Cause> {
    let pg = url.parse::<PgConnectOptions>().ok()?;
    if url.starts_with("sqlite:") || pg.get_host().starts_with('/') {
        return None;
    }
    let dial = tokio::net::TcpStream::connect((pg.get_host(), pg.get_port()));
    match tokio::time::timeout(timeout, dial).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.into()),
        Err(_) => Some(format!("no answer within {timeout:?}").into()),
    }
}

/// Whether PostgreSQL refused the connection because the database it names
/// does not exist (SQLSTATE 3D000).
fn is_missing_database(e: &DbErr) -> bool {
    matches!(
        e,
        DbErr::Conn(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Database(db)))
            if db.code().as_deref() == Some("3D000")
    )
}

impl Storage {
    /// Opens a database: `sqlite://path/to/file.db?mode=rwc` (a relative
    /// path), `sqlite:///abs/path.db?mode=rwc`, or `postgres://...`. A SQLite
    /// file is created when missing unless the URL sets a `mode`. Waits are
    /// bounded by five seconds (`DEFAULT_TIMEOUT`).
    pub async fn connect(url: &str, keyring: Keyring) -> Result<Storage, StorageError> {
        Self::connect_with_timeout(url, keyring, DEFAULT_TIMEOUT).await
    }

    /// Opens a database whose waits are bounded by `timeout`: for a pooled
    /// connection, for a locked SQLite file, and on PostgreSQL for each
    /// statement (`statement_timeout`) and for a client that went quiet in a
    /// transaction (`idle_in_transaction_session_timeout`, so its locks go).
    /// Waits on a network that stops answering need [`crate::Bounded`] too.
    pub async fn connect_with_timeout(
        url: &str,
        keyring: Keyring,
        timeout: Duration,
    ) -> Result<Storage, StorageError> {
        let mut options = ConnectOptions::new(url);
        // No ping before each use: on SQLite it is a hop to the connection's
        // worker thread, on PostgreSQL a network round trip, each as dear as
        // the query. The pool already pings a connection when it comes back,
        // so only one that died while idle (a PostgreSQL restart) goes
        // unnoticed: its next query fails, and the pool drops it.
        options
            .sqlx_logging(false)
            .test_before_acquire(false)
            .acquire_timeout(timeout)
            .connect_timeout(timeout);
        let sqlite = if url.starts_with("sqlite:") {
            let create = !url.contains("mode=");
            options
                .max_connections(SQLITE_POOL_SIZE)
                .map_sqlx_sqlite_opts(move |o| {
                    let o = o
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(timeout)
                        .foreign_keys(true);
                    if create {
                        o.create_if_missing(true)
                    } else {
                        o
                    }
                });
            true
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let millis = timeout.as_millis().max(1).to_string();
            options
                .max_connections(POSTGRES_POOL_SIZE)
                .map_sqlx_postgres_opts(move |o| {
                    o.options([
                        ("statement_timeout", millis.as_str()),
                        ("idle_in_transaction_session_timeout", millis.as_str()),
                    ])
                });
            false
        } else {
            return Err(StorageError::UnsupportedUrl);
        };
        // A refused connection or an unknown host fails at once, where the
        // pool would retry it until its timeout.
        if let Some(why) = why_unreachable(url, timeout).await {
            return Err(StorageError::Connect {
                target: target(url),
                source: why,
            });
        }
        let mut db = match Database::connect(options).await {
            Ok(db) => db,
            Err(e) if is_missing_database(&e) => {
                let name = url.parse::<PgConnectOptions>().ok();
                return Err(StorageError::NoDatabase {
                    target: target(url),
                    name: name
                        .and_then(|pg| pg.get_database().map(str::to_owned))
                        .unwrap_or_default(),
                });
            }
            Err(e) => {
                return Err(StorageError::Connect {
                    target: target(url),
                    source: why_unreachable(url, timeout).await.unwrap_or_else(|| {
                        // The driver's text already holds its causes.
                        e.to_string().into()
                    }),
                });
            }
        };
        let statements = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&statements);
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Storage {
            inner: Arc::new(Inner {
                db,
                keyring,
                sqlite_writer: sqlite.then(|| Mutex::new(())),
                timeout,
                statements,
            }),
        })
    }

    /// Runs the pending migrations. On PostgreSQL an advisory lock keeps
    /// nodes starting together from migrating at the same time.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let db = self.db();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let txn = db.begin().await.map_err(StorageError::Migrate)?;
                // Migrations may outlast the database timeout, and so may
                // another node's, which the lock waits for.
                txn.execute_unprepared("SET LOCAL statement_timeout = 0")
                    .await
                    .map_err(StorageError::Migrate)?;
                txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                    .await
                    .map_err(StorageError::Migrate)?;
                Migrator::up(&txn, None)
                    .await
                    .map_err(StorageError::Migrate)?;
                txn.commit().await.map_err(StorageError::Migrate)
            }
            _ => {
                let _writer = self.writer_lock().await;
                Migrator::up(db, None).await.map_err(StorageError::Migrate)
            }
        }
    }

    /// Open and idle connections, for metrics.
    pub fn pool_status(&self) -> PoolStatus {
        let db = self.db();
        let (size, idle) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        PoolStatus {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
        }
    }

    /// How many statements this storage has sent to the database
    /// (transaction control aside), for metrics.
    pub fn statements(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    /// The bound on each wait for the database.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub(crate) fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    /// A secret for `purpose` derived from the current master key (see
    /// [`Keyring::derive`]), e.g. the console's token-signing seed.
    pub fn derive_secret(&self, purpose: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
        self.inner.keyring.derive(purpose)
    }

    /// Starts a transaction that may write. On SQLite it first waits for this
    /// process's other writers to finish.
    pub(crate) async fn begin_write(&self) -> Result<WriteTxn<'_>, DbErr> {
        let writer = self.writer_lock().await;
        let txn = self.db().begin().await?;
        Ok(WriteTxn {
            txn,
            _writer: writer,
        })
    }

    async fn writer_lock(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.inner.sqlite_writer {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("backend", &self.db().get_database_backend())
            .field("keyring", &self.inner.keyring)
            .finish()
    }
}

/// A transaction holding this process's SQLite write turn until it ends.
/// Dropped without [`WriteTxn::finish`], it rolls back.
pub(crate) struct WriteTxn<'a> {
    // Declared first so it rolls back before the turn is released.
    txn: DatabaseTransaction,
    _writer: Option<MutexGuard<'a, ()>>,
}

impl WriteTxn<'_> {
    /// Commits if the work succeeded, rolls back if it failed, then releases
    /// the write turn.
    pub(crate) async fn finish<T>(
        self,
        work: signet_domain::Result<T>,
    ) -> signet_domain::Result<T> {
        match work {
            Ok(value) => {
                self.txn.commit().await.or_internal()?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = self.txn.rollback().await {
                    tracing::debug!(error = %rollback, "rollback failed");
                }
                Err(e)
            }
        }
    }
}

impl Deref for WriteTxn<'_> {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}
