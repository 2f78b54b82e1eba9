//! The agent's only way into a target's directories: a directory handle
//! that every step opens relative to (`openat`), never following a symbolic
//! link. A link anywhere under a target, where a directory or a file the
//! agent writes, reads or removes would be, makes the write fail, naming
//! it: nothing is written, chmod-ed or removed through it.
//!
//! A file is written so that a reader sees the old content or the new,
//! never a part: a temporary file beside it, synced, renamed over it, and
//! the directory synced so the rename survives a power failure.

use std::collections::HashSet;
use std::fs::{DirBuilder, File};
use std::io::{self, Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, CWD};

/// Mode of a private key file.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of a directory of private keys.
pub const PRIVATE_DIR: u32 = 0o700;
/// Mode of a table or manifest (no secret in it), and of a directory
/// without secrets of its own.
pub const PUBLIC_FILE: u32 = 0o644;
/// Mode of a directory a signer lists (opendkim's `DIR`).
pub const PUBLIC_DIR: u32 = 0o755;

/// The refusal, in one line.
fn link_error(path: &Path) -> io::Error {
    io::Error::other(format!(
        "{} is a symbolic link: the agent never writes through one; replace it with a directory \
         or remove it",
        path.display()
    ))
}

/// An open directory of a target, and its path for messages.
#[derive(Debug)]
pub struct SafeDir {
    fd: OwnedFd,
    path: PathBuf,
}

impl SafeDir {
    /// The target's directory `path`: made with `mode` (its parents too) if
    /// missing; an existing one keeps its mode, which its owner chose for
    /// the signer. The directory itself must not be a symbolic link.
    pub fn root(path: &Path, mode: u32) -> io::Result<Self> {
        let made = match rfs::statat(CWD, path, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => false,
            Err(rustix::io::Errno::NOENT) => {
                DirBuilder::new().recursive(true).mode(mode).create(path)?;
                true
            }
            Err(e) => return Err(e.into()),
        };
        let fd = open_dir(CWD, path).map_err(|e| refusal(CWD, path, path, e))?;
        if made {
            // The umask may have narrowed the mode given at creation.
            rfs::fchmod(&fd, Mode::from_raw_mode(mode))?;
        }
        Ok(Self {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory `name` in it, made if missing, given `mode`.
    pub fn subdir(&self, name: &str, mode: u32) -> io::Result<Self> {
        match rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
        let dir = self.open(name)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} vanished", self.join(name).display()),
            )
        })?;
        rfs::fchmod(&dir.fd, Mode::from_raw_mode(mode))?;
        Ok(dir)
    }

    /// The directory `name` in it, if there is one.
    pub fn open(&self, name: &str) -> io::Result<Option<Self>> {
        match open_dir(&self.fd, name) {
            Ok(fd) => Ok(Some(Self {
                fd,
                path: self.join(name),
            })),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(refusal(&self.fd, name, &self.join(name), e)),
        }
    }

    /// The content and mode of the file `name`, if there is one.
    pub fn read(&self, name: &str) -> io::Result<Option<(Vec<u8>, u32)>> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rfs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(refusal(&self.fd, name, &self.join(name), e)),
        };
        let mode = rfs::fstat(&fd)?.st_mode & 0o777;
        let mut content = Vec::new();
        File::from(fd).read_to_end(&mut content)?;
        Ok(Some((content, mode)))
    }

    /// Replaces the file `name` with `content` and `mode` unless it holds
    /// both already; whether it wrote.
    pub fn replace(&self, name: &str, content: &[u8], mode: u32) -> io::Result<bool> {
        if let Some((old, old_mode)) = self.read(name)? {
            if old_mode == mode && old == content {
                return Ok(false);
            }
        }
        // A fresh, unguessable name opened exclusively: a file or link
        // planted at the name makes the open fail instead of being followed.
        let temporary = format!(".{name}.{:016x}.tmp", rand::random::<u64>());
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rfs::openat(&self.fd, &temporary, flags, Mode::from_raw_mode(mode))?;
        let written = (|| {
            // The umask may have narrowed the mode given at creation.
            rfs::fchmod(&fd, Mode::from_raw_mode(mode))?;
            let mut file = File::from(fd);
            file.write_all(content)?;
            file.sync_all()?;
            // A rename replaces a link at `name` itself, never its target.
            rfs::renameat(&self.fd, &temporary, &self.fd, name)?;
            Ok::<_, io::Error>(())
        })();
        if let Err(e) = written {
            let _ = rfs::unlinkat(&self.fd, &temporary, AtFlags::empty());
            return Err(e);
        }
        // The rename lives in the directory: without this, a power failure
        // can lose it although the file's content was synced.
        rfs::fsync(&self.fd)?;
        Ok(true)
    }

    /// Removes the file `name`; whether it was there.
    pub fn remove(&self, name: &str) -> io::Result<bool> {
        match rfs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::NOENT) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the directory `name` if it is empty.
    pub fn remove_if_empty(&self, name: &str) -> io::Result<()> {
        match rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR) {
            Ok(()) | Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTEMPTY) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Its entries with their types, links not followed; `.`, `..` and
    /// names that are not UTF-8 (none of the agent's) left out.
    pub fn entries(&self) -> io::Result<Vec<(String, FileType)>> {
        let mut entries = Vec::new();
        for entry in rfs::Dir::read_from(&self.fd)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let kind = FileType::from_raw_mode(
                rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)?.st_mode,
            );
            entries.push((name.to_owned(), kind));
        }
        Ok(entries)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

fn open_dir<Fd: std::os::fd::AsFd>(
    at: Fd,
    path: impl rustix::path::Arg,
) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rfs::openat(at, path, flags, Mode::empty())
}

/// `error` of opening `name` in `at`, or the refusal if `name` is a link.
fn refusal<Fd: std::os::fd::AsFd>(
    at: Fd,
    name: impl rustix::path::Arg,
    path: &Path,
    error: rustix::io::Errno,
) -> io::Error {
    match rfs::statat(at, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink => link_error(path),
        _ => io::Error::from(error),
    }
}

/// A key file: its domain directory's name, and its own.
pub type KeyFile = (String, String);

/// Removes the files named `*.<extension>` one level below `root`
/// (`root/<domain>/<selector>.<extension>`) that `keep` does not hold, and
/// the domain directories left empty; whether it removed any file. For a
/// `root` the agent owns whole (opendkim's `DIR/keys`); a shared directory
/// removes only what it wrote ([`remove_listed`]). A link met there is
/// refused, not removed.
pub fn remove_stale(root: &SafeDir, extension: &str, keep: &HashSet<KeyFile>) -> io::Result<bool> {
    let mut removed = false;
    let suffix = format!(".{extension}");
    for (domain, kind) in root.entries()? {
        match kind {
            FileType::Symlink => return Err(link_error(&root.join(&domain))),
            FileType::Directory => {}
            _ => continue,
        }
        let Some(dir) = root.open(&domain)? else {
            continue;
        };
        for (file, kind) in dir.entries()? {
            if !file.ends_with(&suffix) || keep.contains(&(domain.clone(), file.clone())) {
                continue;
            }
            if kind == FileType::Symlink {
                return Err(link_error(&dir.join(&file)));
            }
            removed |= dir.remove(&file)?;
        }
        root.remove_if_empty(&domain)?;
    }
    Ok(removed)
}

/// Removes each of `listed` (files the agent wrote) that `keep` does not
/// hold, and its domain directory if that is left empty; whether it
/// removed any file.
pub fn remove_listed(
    root: &SafeDir,
    listed: &HashSet<KeyFile>,
    keep: &HashSet<KeyFile>,
) -> io::Result<bool> {
    let mut removed = false;
    for (domain, file) in listed.difference(keep) {
        let Some(dir) = root.open(domain)? else {
            continue;
        };
        removed |= dir.remove(file)?;
        root.remove_if_empty(domain)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use std::fs::{self, Permissions};
    use std::os::unix::fs::{symlink, PermissionsExt as _};

    use super::*;

    #[test]
    fn a_file_is_replaced_only_when_its_content_or_mode_differs() {
        let dir = tempfile::tempdir().unwrap();
        let root = SafeDir::root(dir.path(), PRIVATE_DIR).unwrap();
        assert!(root.replace("k.private", b"one", PRIVATE_FILE).unwrap());
        assert!(!root.replace("k.private", b"one", PRIVATE_FILE).unwrap());
        assert!(root.replace("k.private", b"two", PRIVATE_FILE).unwrap());
        let path = dir.path().join("k.private");
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        assert!(root.replace("k.private", b"two", PRIVATE_FILE).unwrap());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, PRIVATE_FILE);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn a_link_in_place_of_a_directory_or_a_file_is_refused_and_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::set_permissions(outside.path(), Permissions::from_mode(0o755)).unwrap();
        fs::write(outside.path().join("k.private"), b"theirs").unwrap();
        let root = SafeDir::root(dir.path(), PRIVATE_DIR).unwrap();
        symlink(outside.path(), dir.path().join("d")).unwrap();
        symlink(
            outside.path().join("k.private"),
            dir.path().join("k.private"),
        )
        .unwrap();
        for error in [
            root.subdir("d", PRIVATE_DIR).unwrap_err(),
            root.replace("k.private", b"key", PRIVATE_FILE).unwrap_err(),
            remove_stale(&root, "private", &HashSet::new()).unwrap_err(),
        ] {
            assert!(error.to_string().contains("is a symbolic link"), "{error}");
        }
        let mode = fs::metadata(outside.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "not chmod-ed");
        assert_eq!(
            fs::read(outside.path().join("k.private")).unwrap(),
            b"theirs"
        );
        let linked = dir.path().join("linked");
        symlink(dir.path(), &linked).unwrap();
        let error = SafeDir::root(&linked, PRIVATE_DIR).unwrap_err();
        assert!(error.to_string().contains("is a symbolic link"), "{error}");
    }
}
