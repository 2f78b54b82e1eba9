//! Storage's own errors (connecting, migrating) and the translation of
//! database errors into the core's [`Error`].

use sea_orm::{DbErr, RuntimeErr, SqlErr};
use signet_domain::{Cause, Entity, Error, Result};

/// Why the store could not be opened or migrated. Never names the URL, which
/// may hold a password.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL names no supported database.
    #[error("unsupported database URL: expected sqlite:... or postgres://...")]
    UnsupportedUrl,
    /// The database cannot be reached or opened.
    #[error("cannot reach {target}")]
    Connect {
        /// What was dialled: `PostgreSQL at HOST:PORT`, or the SQLite file.
        target: String,
        /// Why it failed: the socket's error when the server cannot be
        /// reached, else the driver's.
        #[source]
        source: Cause,
    },
    /// The PostgreSQL server answers, but has no database of that name.
    #[error("{target} has no database {name:?}: create it first (`createdb {name}`)")]
    NoDatabase {
        /// The server: `PostgreSQL at HOST:PORT`.
        target: String,
        /// The database the URL names.
        name: String,
    },
    /// A migration failed.
    #[error("cannot migrate the database")]
    Migrate(#[source] DbErr),
    /// No master key of the keyring opens what the database holds sealed.
    #[error(
        "the database's private keys are sealed with master key {needed}, \
         and no configured master key ({configured}) is that key"
    )]
    WrongMasterKey {
        /// Id of the master key the database needs.
        needed: String,
        /// Ids of the configured master keys, comma-separated.
        configured: String,
    },
    /// A sealed value fails authentication under the key whose id it carries.
    #[error(
        "a value sealed with master key {0} fails authentication: \
         the stored ciphertext is damaged or was altered"
    )]
    SealedValueCorrupt(String),
    /// The canary could not be sealed.
    #[error("cannot seal the canary")]
    Seal(#[source] crate::sealing::SealError),
    /// Reading or writing the sealing canary failed.
    #[error("cannot check the master key against the database")]
    Canary(#[source] DbErr),
}

/// Maps sea-orm results into the core's errors.
pub(crate) trait DbResultExt<T> {
    /// Maps an error, reading a unique violation as a conflict on `entity`.
    fn or_conflict(self, entity: Entity) -> Result<T>;
    /// Maps an error where no unique violation is expected.
    fn or_internal(self) -> Result<T>;
}

impl<T> DbResultExt<T> for std::result::Result<T, DbErr> {
    fn or_conflict(self, entity: Entity) -> Result<T> {
        self.map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(entity),
            _ => translate(e),
        })
    }

    fn or_internal(self) -> Result<T> {
        self.map_err(translate)
    }
}

/// Translates a database error. The messages carry the database's own text,
/// which names tables and constraints but never a private key (those only
/// ever reach the database sealed).
pub(crate) fn translate(e: DbErr) -> Error {
    if let Some(SqlErr::ForeignKeyConstraintViolation(_)) = e.sql_err() {
        // Every foreign key points at a tenant.
        return Error::NotFound(Entity::Tenant);
    }
    if is_unavailable(&e) {
        tracing::warn!(error = %e, "database unavailable");
        Error::unavailable(e)
    } else {
        Error::internal(e)
    }
}

/// Whether the failure is the database's reachability rather than the
/// statement: pool exhausted or closed, I/O, TLS, a busy SQLite file,
/// PostgreSQL's connection, resource and shutdown error classes, or one of its
/// timeouts.
fn is_unavailable(e: &DbErr) -> bool {
    let sqlx = match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        _ => return false,
    };
    match sqlx {
        sea_orm::SqlxError::Io(_)
        | sea_orm::SqlxError::Tls(_)
        | sea_orm::SqlxError::PoolTimedOut
        | sea_orm::SqlxError::PoolClosed
        | sea_orm::SqlxError::WorkerCrashed => true,
        sea_orm::SqlxError::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6) and their extended codes.
            let sqlite_busy = matches!(code.parse::<u32>(), Ok(c) if matches!(c & 0xff, 5 | 6))
                && db.try_downcast_ref::<sea_orm::SqlxSqliteError>().is_some();
            let pg_unavailable = db
                .try_downcast_ref::<sea_orm::SqlxPostgresError>()
                .is_some()
                && (code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("57P")
                    // statement_timeout and idle_in_transaction_session_timeout.
                    || code == "57014"
                    || code == "25P03");
            sqlite_busy || pg_unavailable
        }
        _ => false,
    }
}

/// Maps a stored value that no longer parses: a bug or a damaged row.
pub(crate) fn corrupt(what: &str, e: impl Into<Cause>) -> Error {
    internal(format!("stored {what} is invalid"), e)
}

/// An internal error: what failed, caused by `e`.
pub(crate) fn internal(what: String, e: impl Into<Cause>) -> Error {
    Error::internal(Failed {
        what,
        cause: e.into(),
    })
}

/// What failed, with why: the cause stays a source, not text.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct Failed {
    what: String,
    #[source]
    cause: Cause,
}
