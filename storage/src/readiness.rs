//! Whether the database can serve now and, if not, why, in words safe to
//! show an unauthenticated caller.

use std::io::ErrorKind;

use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
use sea_orm::{ConnectionTrait as _, DbBackend, SqlxError};

use crate::connect::Storage;

/// Why the database cannot serve. Each is a fixed sentence: never the URL,
/// the host or the driver's text, which go to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unready {
    /// Nothing listens at the database's address.
    #[error("database refused the connection")]
    Refused,
    /// No answer within the database timeout: a network dropping packets,
    /// or a server too busy to answer.
    #[error("database did not answer within {0:?}")]
    TimedOut(std::time::Duration),
    /// The server turned the login down (PostgreSQL's class 28).
    #[error("database rejected the credentials")]
    Credentials,
    /// Anything else: name resolution, TLS, a missing database.
    #[error("database is unreachable")]
    Unreachable,
}

impl Storage {
    /// Checks the database within the timeout. On PostgreSQL it opens a
    /// connection of its own rather than asking the pool, which retries a
    /// refused connection until its deadline and then reports only that it
    /// timed out.
    pub async fn probe(&self) -> Result<(), Unready> {
        let limit = self.timeout();
        let check = async {
            if self.db().get_database_backend() == DbBackend::Postgres {
                let options = self.db().get_postgres_connection_pool().connect_options();
                let mut conn = options.connect().await.map_err(classify)?;
                conn.ping().await.map_err(classify)?;
                if let Err(e) = conn.close().await {
                    tracing::debug!(error = %e, "readiness: closing the probe connection failed");
                }
                Ok(())
            } else {
                self.db().ping().await.map_err(|e| {
                    tracing::warn!(error = %e, "readiness: database ping failed");
                    Unready::Unreachable
                })
            }
        };
        tokio::time::timeout(limit, check)
            .await
            .unwrap_or_else(|_| {
                tracing::warn!(?limit, "readiness: database did not answer in time");
                Err(Unready::TimedOut(limit))
            })
    }
}

/// Reads the reason out of a failed connection or ping, logging the details.
fn classify(e: SqlxError) -> Unready {
    tracing::warn!(error = %e, "readiness: database check failed");
    match &e {
        SqlxError::Io(io) if io.kind() == ErrorKind::ConnectionRefused => Unready::Refused,
        SqlxError::Database(db) if db.code().is_some_and(|code| code.starts_with("28")) => {
            Unready::Credentials
        }
        _ => Unready::Unreachable,
    }
}
