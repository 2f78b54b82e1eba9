//! Finding the master key that seals private keys at rest.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use secrecy::{ExposeSecret as _, SecretString};
use signet_storage::{Keyring, MasterKey};
use zeroize::Zeroizing;

use crate::settings::{Database, MasterKeySource};

/// The keyring for this configuration: the current key seals, `previous`
/// keys (comma-separated base64) only open what they sealed. Without a
/// configured key, a local SQLite database gets one in a file beside it
/// (created with mode 0600); PostgreSQL, shared and long-lived, must be given one.
pub fn keyring(
    source: &MasterKeySource,
    previous: Option<&SecretString>,
    database: &Database,
) -> anyhow::Result<Keyring> {
    let key = match source {
        MasterKeySource::Base64(value) => MasterKey::from_base64(value.expose_secret().trim())
            .context("SIGNET_MASTER_KEY is not a valid master key")?,
        MasterKeySource::File(path) => read(path)?,
        MasterKeySource::LocalFile => match database {
            Database::SqliteFile(db) => {
                // `serve` warns that this is for local use; the file's
                // creation is announced once, below.
                let path = local_key_path(db);
                if path.exists() {
                    read(&path)?
                } else {
                    create(&path)?
                }
            }
            Database::SqliteMemory => {
                tracing::warn!(
                    "no master key configured: using a throwaway one for an in-memory database"
                );
                MasterKey::generate().context("cannot generate a master key")?
            }
            Database::Postgres => bail!(
                "refusing to start: PostgreSQL needs a master key. Set SIGNET_MASTER_KEY \
                 (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or \
                 SIGNET_MASTER_KEY_FILE. A generated key file is only made for a local \
                 SQLite database, because every node sharing a database must use the same key."
            ),
        },
    };
    let mut keyring = Keyring::new(key);
    for (i, old) in previous
        .map(|p| p.expose_secret().split(','))
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let old = MasterKey::from_base64(old).with_context(|| {
            format!(
                "SIGNET_MASTER_KEY_PREVIOUS entry {} is not a valid master key",
                i + 1
            )
        })?;
        keyring = keyring.with_previous(old);
    }
    Ok(keyring)
}

/// `data/signet.db` keeps its key in `data/signet.master.key`.
pub fn local_key_path(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map_or_else(|| "signet".into(), |s| s.to_string_lossy());
    db.with_file_name(format!("{stem}.master.key"))
}

fn read(path: &Path) -> anyhow::Result<MasterKey> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the master key file {}", path.display()))?,
    );
    MasterKey::from_base64(text.trim())
        .with_context(|| format!("{} does not hold a valid master key", path.display()))
}

fn create(path: &Path) -> anyhow::Result<MasterKey> {
    let key = MasterKey::generate().context("cannot generate a master key")?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the master key file {}", path.display()))?;
    file.write_all(key.to_base64().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the master key file {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "no SIGNET_MASTER_KEY or SIGNET_MASTER_KEY_FILE: created a master key file beside the \
         SQLite database; back it up with the database. Fine for local use, not for production"
    );
    Ok(key)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn the_key_file_sits_beside_the_database() {
        assert_eq!(
            local_key_path(Path::new("data/signet.db")),
            PathBuf::from("data/signet.master.key")
        );
        assert_eq!(
            local_key_path(Path::new("signet.db")),
            PathBuf::from("signet.master.key")
        );
    }

    #[test]
    fn a_local_key_file_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::SqliteFile(dir.path().join("s.db"));
        let first = keyring(&MasterKeySource::LocalFile, None, &db).unwrap();
        let path = dir.path().join("s.master.key");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = keyring(&MasterKeySource::LocalFile, None, &db).unwrap();
        assert_eq!(first.current_id(), second.current_id());
    }

    #[test]
    fn postgres_without_a_key_is_refused_with_the_reason() {
        let err = keyring(&MasterKeySource::LocalFile, None, &Database::Postgres).unwrap_err();
        assert!(err.to_string().contains("SIGNET_MASTER_KEY"), "{err}");
    }

    #[test]
    fn a_malformed_key_is_refused() {
        let bad = MasterKeySource::Base64("c2hvcnQ=".into());
        assert!(keyring(&bad, None, &Database::SqliteMemory).is_err());
    }
}
