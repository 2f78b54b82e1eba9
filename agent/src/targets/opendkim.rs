//! `opendkim:DIR`: the layout `opendkim.conf(5)` reads with
//! `KeyTable DIR/KeyTable` and `SigningTable refile:DIR/SigningTable`.
//!
//! ```text
//! DIR/keys/<domain>/<selector>.private   0600, PKCS#8 PEM
//! DIR/KeyTable       <selector>._domainkey.<domain> <domain>:<selector>:<path>
//! DIR/SigningTable   *@<domain> <selector>._domainkey.<domain>   (RSA keys)
//! DIR/SigningTable.ed25519   the same, of the Ed25519 keys
//! ```
//!
//! One OpenDKIM signs with one algorithm (`SignatureAlgorithm`, rsa-sha256
//! by default) and refuses the message when its signing table names a key
//! of the other, so the Ed25519 signing keys get a table of their own, for
//! a second instance with `SignatureAlgorithm ed25519-sha256`.
//!
//! `DIR/keys` belongs to the agent: any `*.private` file there it did not
//! just write is removed.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use signet_domain::KeyAlgorithm;

use super::files::{remove_stale, SafeDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_DIR, PUBLIC_FILE};
use super::{domains, signing_keys};
use crate::feed::{Feed, FleetKey};

/// The first line of both tables.
const HEADER: &str = "# Written by `signet fleet sync`; edits are overwritten.\n";

/// An OpenDKIM configuration directory the agent owns.
#[derive(Debug, Clone)]
pub struct OpenDkimTarget {
    dir: PathBuf,
}

impl OpenDkimTarget {
    /// The directory `dir`, absolute.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key_path(&self, key: &FleetKey) -> PathBuf {
        self.dir
            .join("keys")
            .join(key.domain.as_str())
            .join(format!("{}.private", key.selector))
    }

    /// Writes the key files first, then the tables that name them, then
    /// removes the files no table names any more; whether anything changed.
    pub fn write(&self, feed: &Feed) -> anyhow::Result<bool> {
        let root = SafeDir::root(&self.dir, PUBLIC_DIR)
            .with_context(|| format!("cannot open {}", self.dir.display()))?;
        let keys_dir = root
            .subdir("keys", PRIVATE_DIR)
            .with_context(|| format!("cannot create {}", self.dir.join("keys").display()))?;
        let mut changed = false;
        let mut kept = HashSet::new();
        for key in &feed.keys {
            let path = self.key_path(key);
            let (domain, file) = (key.domain.to_string(), format!("{}.private", key.selector));
            let dir = keys_dir.subdir(&domain, PRIVATE_DIR).with_context(|| {
                format!("cannot create {}", keys_dir.path().join(&domain).display())
            })?;
            changed |= dir
                .replace(&file, key.private_key.expose().as_bytes(), PRIVATE_FILE)
                .with_context(|| format!("cannot write {}", path.display()))?;
            kept.insert((domain, file));
        }
        for (name, content) in [
            ("KeyTable", self.key_table(feed)),
            ("SigningTable", signing_table(feed, KeyAlgorithm::Rsa)),
            (
                "SigningTable.ed25519",
                signing_table(feed, KeyAlgorithm::Ed25519),
            ),
        ] {
            changed |= root
                .replace(name, content.as_bytes(), PUBLIC_FILE)
                .with_context(|| format!("cannot write {}", self.dir.join(name).display()))?;
        }
        changed |= remove_stale(&keys_dir, "private", &kept)
            .with_context(|| format!("cannot remove old keys in {}", keys_dir.path().display()))?;
        Ok(changed)
    }

    fn key_table(&self, feed: &Feed) -> String {
        let mut table = HEADER.to_owned();
        for key in &feed.keys {
            let (domain, selector) = (&key.domain, &key.selector);
            let path = self.key_path(key);
            let _ = writeln!(
                table,
                "{selector}._domainkey.{domain} {domain}:{selector}:{}",
                path.display()
            );
        }
        table
    }
}

/// Every signing key of `algorithm` of every domain, the one to sign with
/// first (OpenDKIM signs with the first match unless `MultipleSignatures`
/// is on).
fn signing_table(feed: &Feed, algorithm: KeyAlgorithm) -> String {
    let mut table = HEADER.to_owned();
    for domain in domains(feed) {
        let keys = signing_keys(feed, domain).into_iter();
        for key in keys.filter(|k| k.algorithm == algorithm) {
            let _ = writeln!(table, "*@{domain} {}._domainkey.{domain}", key.selector);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::feed::tests::{ed25519_key, feed, wire_key};

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn keys_and_tables_are_written_in_opendkims_layout() {
        let dir = tempfile::tempdir().unwrap();
        let target = OpenDkimTarget::new(dir.path().to_path_buf());
        let feed = feed(&[
            wire_key("example.com", "s1", "active", true),
            wire_key("example.com", "s2", "pending", false),
        ]);
        assert!(target.write(&feed).unwrap());

        let key = dir.path().join("keys/example.com/s1.private");
        assert_eq!(
            fs::read_to_string(&key).unwrap(),
            feed.keys[0].private_key.expose()
        );
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
        assert!(dir.path().join("keys/example.com/s2.private").exists());
        let key_table = fs::read_to_string(dir.path().join("KeyTable")).unwrap();
        assert!(key_table.contains(&format!(
            "\ns1._domainkey.example.com example.com:s1:{}\n",
            key.display()
        )));
        assert!(key_table.contains("\ns2._domainkey.example.com example.com:s2:"));
        let signing = fs::read_to_string(dir.path().join("SigningTable")).unwrap();
        assert_eq!(
            signing.lines().skip(1).collect::<Vec<_>>(),
            ["*@example.com s1._domainkey.example.com"],
            "only the signing key signs"
        );
        assert!(
            !target.write(&feed).unwrap(),
            "the same feed changes nothing"
        );
    }

    #[test]
    fn ed25519_keys_sign_from_a_table_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let target = OpenDkimTarget::new(dir.path().to_path_buf());
        let feed = feed(&[
            ed25519_key("example.com", "ed", "active", true),
            wire_key("example.com", "rsa", "active", false),
        ]);
        target.write(&feed).unwrap();
        let table = |name| fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(table("SigningTable").ends_with("\n*@example.com rsa._domainkey.example.com\n"));
        assert!(
            table("SigningTable.ed25519").ends_with("\n*@example.com ed._domainkey.example.com\n")
        );
        assert_eq!(table("KeyTable").lines().count(), 3);
    }

    #[test]
    fn a_key_gone_from_the_feed_is_removed_after_the_tables_changed() {
        let dir = tempfile::tempdir().unwrap();
        let target = OpenDkimTarget::new(dir.path().to_path_buf());
        let both = feed(&[
            wire_key("a.example", "s1", "active", true),
            wire_key("b.example", "s1", "active", true),
        ]);
        target.write(&both).unwrap();
        let one = feed(&[wire_key("a.example", "s1", "active", true)]);
        assert!(target.write(&one).unwrap());
        assert!(!dir.path().join("keys/b.example").exists());
        let key_table = fs::read_to_string(dir.path().join("KeyTable")).unwrap();
        assert!(!key_table.contains("b.example"));
        assert!(dir.path().join("keys/a.example/s1.private").exists());
    }
}
