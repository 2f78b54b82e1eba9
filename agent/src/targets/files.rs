//! Writing files so that a reader sees the old content or the new, never a
//! part: a temporary file beside the target, synced, renamed over it, and the
//! directory synced so the rename survives a power failure.

use std::collections::HashSet;
use std::fs::{self, File, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// Mode of a private key file, and of the directories holding them.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of a directory of private keys.
pub const PRIVATE_DIR: u32 = 0o700;
/// Mode of a table or manifest (no secret in it).
pub const PUBLIC_FILE: u32 = 0o644;

/// Creates `dir` (and its parents) if missing and gives it `mode`.
pub fn ensure_dir(dir: &Path, mode: u32) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, Permissions::from_mode(mode))
}

/// Creates `dir` (and its parents) with `mode` if missing; an existing
/// directory keeps its mode, which its owner chose for the signer.
pub fn create_dir(dir: &Path, mode: u32) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    ensure_dir(dir, mode)
}

/// Replaces `path` with `content` and `mode` unless it holds both already;
/// whether it wrote.
pub fn replace(path: &Path, content: &[u8], mode: u32) -> io::Result<bool> {
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o777 == mode && fs::read(path)? == content {
            return Ok(false);
        }
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    // A fresh, unguessable name opened exclusively: a file or symlink planted
    // at the name makes the open fail instead of being followed. Dropped
    // unpersisted, the temporary file is removed.
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    // The umask may have narrowed the mode given at creation.
    file.as_file()
        .set_permissions(Permissions::from_mode(mode))?;
    file.write_all(content)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // The rename lives in the directory: without this, a power failure can
    // lose it although the file's content was synced.
    File::open(dir)?.sync_all()?;
    Ok(true)
}

/// Removes the files named `*.<extension>` one level below `root`
/// (`root/<domain>/<selector>.<extension>`) that `keep` does not hold, and
/// the domain directories left empty; whether it removed any file. For a
/// `root` the agent owns whole (opendkim's `DIR/keys`); a shared directory
/// removes only what it wrote ([`remove_listed`]).
pub fn remove_stale(root: &Path, extension: &str, keep: &HashSet<PathBuf>) -> io::Result<bool> {
    let mut removed = false;
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    for domain in entries {
        let domain = domain?.path();
        if !domain.is_dir() {
            continue;
        }
        for file in fs::read_dir(&domain)? {
            let file = file?.path();
            let ours = file.extension().is_some_and(|e| e == extension);
            if ours && !keep.contains(&file) {
                fs::remove_file(&file)?;
                removed = true;
            }
        }
        if fs::read_dir(&domain)?.next().is_none() {
            fs::remove_dir(&domain)?;
        }
    }
    Ok(removed)
}

/// Removes each of `listed` (files the agent wrote, each
/// `<domain dir>/<file>`) that `keep` does not hold, and its domain
/// directory if that is left empty; whether it removed any file.
pub fn remove_listed(listed: &HashSet<PathBuf>, keep: &HashSet<PathBuf>) -> io::Result<bool> {
    let mut removed = false;
    for file in listed.difference(keep) {
        match fs::remove_file(file) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Some(domain) = file.parent() {
            if fs::read_dir(domain).is_ok_and(|mut d| d.next().is_none()) {
                fs::remove_dir(domain)?;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_only_when_its_content_or_mode_differs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.private");
        assert!(replace(&path, b"one", PRIVATE_FILE).unwrap());
        assert!(!replace(&path, b"one", PRIVATE_FILE).unwrap());
        assert!(replace(&path, b"two", PRIVATE_FILE).unwrap());
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        assert!(replace(&path, b"two", PRIVATE_FILE).unwrap());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, PRIVATE_FILE);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn a_symlink_planted_as_a_temporary_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"untouched").unwrap();
        let path = dir.path().join("k.private");
        // Planted where a predictable name (the process id) would point.
        let planted = dir
            .path()
            .join(format!(".k.private.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, planted).unwrap();
        assert!(replace(&path, b"key", PRIVATE_FILE).unwrap());
        assert_eq!(fs::read(&victim).unwrap(), b"untouched");
        assert_eq!(fs::read(&path).unwrap(), b"key");
    }
}
