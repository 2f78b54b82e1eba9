//! `dir:DIR`: one PEM per key and a manifest, for signers without a layout
//! of their own (Haraka, Exim):
//!
//! ```text
//! DIR/<domain>/<selector>.pem   0600, PKCS#8 PEM
//! DIR/keys.json                 {"fleet", "keys": [{domain, selector, algorithm, stage,
//!                                signing, default_for_domain, path, dns_record, updated_at}]}
//! ```
//!
//! DIR may hold files of others: the agent removes only the PEM files its
//! previous manifest listed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{json, Value};
use signet_domain::{DomainName, Selector};

use super::files::{remove_listed, KeyFile, SafeDir, PRIVATE_DIR, PRIVATE_FILE, PUBLIC_FILE};
use crate::feed::Feed;

/// A directory of PEM files the agent owns.
#[derive(Debug, Clone)]
pub struct DirTarget {
    dir: PathBuf,
}

impl DirTarget {
    /// The directory `dir`, absolute.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file_of(domain: &DomainName, selector: &Selector) -> KeyFile {
        (domain.to_string(), format!("{selector}.pem"))
    }

    /// The PEM files the manifest in place lists: its names parsed again,
    /// never its `path`s trusted, so an edited manifest cannot point the
    /// agent at a file outside DIR. None without a readable manifest; a
    /// link in its place is refused.
    fn written_before(root: &SafeDir) -> std::io::Result<HashSet<KeyFile>> {
        let Some((bytes, _)) = root.read("keys.json")? else {
            return Ok(HashSet::new());
        };
        let Ok(manifest) = serde_json::from_slice::<Value>(&bytes) else {
            return Ok(HashSet::new());
        };
        let keys = manifest["keys"].as_array().map_or(&[][..], Vec::as_slice);
        Ok(keys
            .iter()
            .filter_map(|key| {
                let domain = DomainName::parse(key["domain"].as_str()?).ok()?;
                let selector = Selector::parse(key["selector"].as_str()?).ok()?;
                Some(Self::file_of(&domain, &selector))
            })
            .collect())
    }

    /// Writes the PEM files, then the manifest, then removes the PEM files
    /// it no longer lists; whether anything changed.
    pub fn write(&self, feed: &Feed) -> anyhow::Result<bool> {
        let root = SafeDir::root(&self.dir, PRIVATE_DIR)
            .with_context(|| format!("cannot open {}", self.dir.display()))?;
        let before = Self::written_before(&root)
            .with_context(|| format!("cannot read {}/keys.json", self.dir.display()))?;
        let mut changed = false;
        let mut kept = HashSet::new();
        let mut manifest = Vec::with_capacity(feed.keys.len());
        for key in &feed.keys {
            let (domain, file) = Self::file_of(&key.domain, &key.selector);
            let path = self.dir.join(&domain).join(&file);
            let dir = root
                .subdir(&domain, PRIVATE_DIR)
                .with_context(|| format!("cannot create {}", self.dir.join(&domain).display()))?;
            changed |= dir
                .replace(&file, key.private_key.expose().as_bytes(), PRIVATE_FILE)
                .with_context(|| format!("cannot write {}", path.display()))?;
            manifest.push(json!({
                "domain": key.domain.as_str(),
                "selector": key.selector.as_str(),
                "algorithm": key.algorithm.as_str(),
                "stage": key.stage.as_str(),
                "signing": key.signing,
                "default_for_domain": key.default_for_domain,
                "path": path,
                "dns_record": key.dns_record,
                "updated_at": key.updated_at,
            }));
            kept.insert((domain, file));
        }
        let manifest = json!({ "fleet": feed.fleet, "keys": manifest });
        let mut bytes = serde_json::to_vec_pretty(&manifest)?;
        bytes.push(b'\n');
        changed |= root
            .replace("keys.json", &bytes, PUBLIC_FILE)
            .with_context(|| format!("cannot write {}/keys.json", self.dir.display()))?;
        changed |= remove_listed(&root, &before, &kept)
            .with_context(|| format!("cannot remove old keys in {}", self.dir.display()))?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use serde_json::Value;

    use super::*;
    use crate::feed::tests::{feed, wire_key};

    #[test]
    fn pem_files_and_a_manifest_follow_the_feed() {
        let dir = tempfile::tempdir().unwrap();
        let target = DirTarget::new(dir.path().to_path_buf());
        let first = feed(&[
            wire_key("a.example", "s1", "active", true),
            wire_key("b.example", "s1", "retiring", false),
        ]);
        assert!(target.write(&first).unwrap());
        assert!(!target.write(&first).unwrap());
        let manifest: Value =
            serde_json::from_slice(&fs::read(dir.path().join("keys.json")).unwrap()).unwrap();
        assert_eq!(manifest["fleet"], "mta-eu");
        let keys = manifest["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1]["stage"], "retiring");
        assert_eq!(keys[1]["signing"], false);
        assert_eq!(keys[0]["dns_record"]["name"], "s1._domainkey.a.example");
        let path = dir.path().join("a.example/s1.pem");
        assert_eq!(keys[0]["path"], path.to_str().unwrap());
        assert!(!manifest.to_string().contains("PRIVATE KEY"));

        let second = feed(&[wire_key("b.example", "s2", "active", true)]);
        assert!(target.write(&second).unwrap());
        assert!(!path.exists() && !dir.path().join("a.example").exists());
        assert!(!dir.path().join("b.example/s1.pem").exists());
        assert!(dir.path().join("b.example/s2.pem").exists());
    }

    #[test]
    fn pem_files_it_never_wrote_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = dir.path().join("a.example/theirs.pem");
        fs::create_dir_all(theirs.parent().unwrap()).unwrap();
        fs::write(&theirs, b"not the agent's").unwrap();
        let target = DirTarget::new(dir.path().to_path_buf());
        target
            .write(&feed(&[wire_key("a.example", "s1", "active", true)]))
            .unwrap();
        target
            .write(&feed(&[wire_key("b.example", "s1", "active", true)]))
            .unwrap();
        assert!(
            !dir.path().join("a.example/s1.pem").exists(),
            "its own removed"
        );
        assert_eq!(fs::read(&theirs).unwrap(), b"not the agent's");
    }
}
