//! Which database a URL names, and where the master key sealing its
//! private keys comes from.

use std::path::PathBuf;

use secrecy::SecretString;

/// A SQLite file in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://signet.db?mode=rwc";
/// Longest any database call may wait: for a connection, a lock or an answer.
pub const DEFAULT_DATABASE_TIMEOUT: &str = "5s";

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// Base64 of 32 bytes (`SIGNET_MASTER_KEY`).
    Base64(SecretString),
    /// A file holding that base64 (`SIGNET_MASTER_KEY_FILE`).
    File(PathBuf),
    /// Neither: SQLite only, a key file beside the database, made on first use.
    LocalFile,
}

/// The kind of database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file at this path.
    SqliteFile(PathBuf),
    /// An in-memory SQLite database.
    SqliteMemory,
    /// PostgreSQL.
    Postgres,
}

impl Database {
    /// Classifies a database URL; any scheme but `sqlite:`, `postgres:` and
    /// `postgresql:` is refused.
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres);
        }
        let Some(rest) = url.strip_prefix("sqlite:") else {
            let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
            anyhow::bail!(
                "unsupported database {scheme:?}: Signet runs on \
                 SQLite (sqlite://FILE) or PostgreSQL (postgres://USER@HOST/DB)"
            );
        };
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
            Ok(Self::SqliteMemory)
        } else {
            Ok(Self::SqliteFile(PathBuf::from(path)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_classified() {
        let of = |url| Database::of(url).unwrap();
        assert_eq!(
            of(DEFAULT_DATABASE_URL),
            Database::SqliteFile("signet.db".into())
        );
        assert_eq!(
            of("sqlite:///var/lib/signet/s.db"),
            Database::SqliteFile("/var/lib/signet/s.db".into())
        );
        assert_eq!(of("sqlite::memory:"), Database::SqliteMemory);
        assert_eq!(of("postgres://u@h/db"), Database::Postgres);
        assert_eq!(of("postgresql://u@h/db"), Database::Postgres);
    }

    #[test]
    fn another_database_is_refused_by_its_scheme_alone() {
        let e = Database::of("mysql://root:hunter2@db/signet").unwrap_err();
        let message = format!("{e:#}");
        assert!(
            message.starts_with("unsupported database \"mysql\""),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }
}
