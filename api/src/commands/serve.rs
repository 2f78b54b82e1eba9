//! `signet serve`: one server per SQLite file, and the warning about a
//! local master key file given where it matters.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::settings::{Database, MasterKeySource, Settings};
use crate::startup::Application;

/// Runs the server until it is stopped. On a SQLite file it first takes
/// an exclusive lock, held while it runs, so a second `serve` on the same
/// file is refused; administration commands take no lock and run beside.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let database = settings.database()?;
    let _lock = match &database {
        Database::SqliteFile(path) => Some(lock(path)?),
        Database::SqliteMemory | Database::Postgres => None,
    };
    if let (MasterKeySource::LocalFile, Database::SqliteFile(_)) = (&settings.master_key, &database)
    {
        tracing::warn!(
            "no SIGNET_MASTER_KEY or SIGNET_MASTER_KEY_FILE: private keys are sealed with the key \
             file beside the SQLite database; fine for local use, not for production"
        );
    }
    Ok(Application::build(settings)
        .await?
        .run_until_stopped()
        .await?)
}

/// `data/signet.db` is locked through `data/signet.db.lock`: a file of its
/// own, as closing any other descriptor of the database would drop
/// SQLite's own locks.
fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    db.with_file_name(name)
}

/// Takes the server's lock of the SQLite file `db`, or says who holds it.
fn lock(db: &Path) -> anyhow::Result<File> {
    let path = lock_path(db);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => anyhow::bail!(
            "refusing to start: another `signet serve` is using {} (it holds {})",
            db.display(),
            path.display()
        ),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_the_database() {
        assert_eq!(
            lock_path(Path::new("data/signet.db")),
            PathBuf::from("data/signet.db.lock")
        );
    }

    #[test]
    fn a_second_lock_of_one_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let first = lock(&db).unwrap();
        let e = lock(&db).unwrap_err().to_string();
        assert!(e.contains("another `signet serve` is using"), "{e}");
        drop(first);
        lock(&db).unwrap();
    }
}
