//! A symbolic link planted at every level of a `dir:` and an `opendkim:`
//! target: the agent writes, chmods and removes nothing through it, leaves
//! what it points to as it was, and names the link in one line.

use std::collections::BTreeMap;
use std::fs::{self, Permissions};
use std::os::unix::fs::{symlink, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::support::{feed, stderr, sync_once, Answer, FeedServer};

/// Everything under `root`: each path with its mode and, for a file, its
/// content; links as their target.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u32, String)> {
    let mut all = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        let what = if meta.file_type().is_symlink() {
            format!("-> {}", fs::read_link(&path).unwrap().display())
        } else if meta.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            "dir".to_owned()
        } else {
            String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned()
        };
        all.insert(path, (meta.permissions().mode() & 0o7777, what));
    }
    all
}

/// A directory outside every target that a link points to, with a file
/// of someone else's in each of `domains`.
struct Outside {
    dir: tempfile::TempDir,
}

impl Outside {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
        for (sub, file) in [
            ("a.example", "s1.pem"),
            ("a.example", "s1.private"),
            ("a.example", "theirs.private"),
            ("b.example", "s1.private"),
        ] {
            fs::create_dir_all(dir.path().join(sub)).unwrap();
            fs::set_permissions(dir.path().join(sub), Permissions::from_mode(0o755)).unwrap();
            let path = dir.path().join(sub).join(file);
            fs::write(&path, format!("not the agent's: {sub}/{file}")).unwrap();
            fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        }
        for file in ["keys.json", "KeyTable"] {
            fs::write(dir.path().join(file), "not the agent's").unwrap();
        }
        Self { dir }
    }

    fn path(&self, rest: &str) -> PathBuf {
        if rest.is_empty() {
            self.dir.path().to_path_buf()
        } else {
            self.dir.path().join(rest)
        }
    }
}

/// Plants `link` (relative to `target`) pointing at `points_to` (relative
/// to a fresh outside directory) after `before` ran, syncs `to`, and checks
/// the refusal.
async fn refused(
    server: &FeedServer,
    kind: &str,
    link: &str,
    points_to: &str,
    before: impl FnOnce(&Path),
) {
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("t");
    let outside = Outside::new();
    before(&target);
    let planted = if link.is_empty() {
        target.clone()
    } else {
        target.join(link)
    };
    if planted.exists() || planted.is_symlink() {
        if planted.is_dir() {
            fs::remove_dir_all(&planted).unwrap();
        } else {
            fs::remove_file(&planted).unwrap();
        }
    }
    fs::create_dir_all(planted.parent().unwrap()).unwrap();
    symlink(outside.path(points_to), &planted).unwrap();
    let seen = snapshot(&outside.path(""));

    let to = format!("{kind}:{}", target.display());
    let out = sync_once(&server.url, &["--to", &to]).await;
    let said = stderr(&out);
    assert!(
        !out.status.success(),
        "{kind} {link}: the sync succeeded: {said}"
    );
    let line = format!(
        "{} is a symbolic link: the agent never writes through one",
        planted.display()
    );
    let lines: Vec<&str> = said.lines().filter(|l| l.contains(&line)).collect();
    assert_eq!(
        lines.len(),
        1,
        "{kind} {link}: one line names the link: {said}"
    );
    assert_eq!(
        snapshot(&outside.path("")),
        seen,
        "{kind} {link}: nothing outside was written, chmod-ed or removed"
    );
    assert!(
        planted.is_symlink(),
        "the link is left for its owner to see"
    );
}

/// A first sync of the feed the server answers now.
fn synced(url: String, kind: &'static str) -> impl FnOnce(&Path) {
    move |target| {
        let to = format!("{kind}:{}", target.display());
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_signet-agent"))
            .args(["sync", "--once", "--url", &url, "--to", &to])
            .env("SIGNET_FLEET_TOKEN", "sgf_test")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_link_under_a_dir_target_is_followed() {
    let both = feed(&[("a.example", "s1"), ("b.example", "s1")]);
    let server = FeedServer::start(Answer::Feed(both.clone())).await;
    let none = |_: &Path| {};
    // The target itself, a domain directory, a key file, the manifest: on
    // a first sync and on one over a synced set.
    for (link, points_to) in [
        ("", ""),
        ("a.example", "a.example"),
        ("a.example/s1.pem", "a.example/s1.pem"),
        ("keys.json", "keys.json"),
    ] {
        refused(&server, "dir", link, points_to, none).await;
        let first = synced(server.url.clone(), "dir");
        refused(&server, "dir", link, points_to, first).await;
    }
    // A key gone from the feed, whose domain directory is now a link.
    let first = synced(server.url.clone(), "dir");
    let server_then = &server;
    refused(server_then, "dir", "a.example", "a.example", |target| {
        first(target);
        server_then.set(Answer::Feed(feed(&[("b.example", "s1")])));
    })
    .await;
    server.set(Answer::Feed(both));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_link_under_an_opendkim_target_is_followed() {
    let both = feed(&[("a.example", "s1"), ("b.example", "s1")]);
    let server = FeedServer::start(Answer::Feed(both.clone())).await;
    let none = |_: &Path| {};
    for (link, points_to) in [
        ("", ""),
        ("keys", ""),
        ("keys/a.example", "a.example"),
        ("keys/a.example/s1.private", "a.example/s1.private"),
        ("KeyTable", "KeyTable"),
        ("SigningTable", "KeyTable"),
        ("SigningTable.ed25519", "KeyTable"),
    ] {
        refused(&server, "opendkim", link, points_to, none).await;
        let first = synced(server.url.clone(), "opendkim");
        refused(&server, "opendkim", link, points_to, first).await;
    }
    // Stale keys are looked for in every domain directory, listed or not.
    let first = synced(server.url.clone(), "opendkim");
    let server_then = &server;
    refused(
        server_then,
        "opendkim",
        "keys/c.example",
        "a.example",
        |target| {
            first(target);
            server_then.set(Answer::Feed(feed(&[("b.example", "s1")])));
        },
    )
    .await;
    server.set(Answer::Feed(both));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_links_the_same_targets_are_written() {
    let server = FeedServer::start(Answer::Feed(feed(&[("a.example", "s1")]))).await;
    let work = tempfile::tempdir().unwrap();
    let (dir, opendkim) = (work.path().join("d"), work.path().join("o"));
    let out = sync_once(
        &server.url,
        &[
            "--to",
            &format!("dir:{}", dir.display()),
            "--to",
            &format!("opendkim:{}", opendkim.display()),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("a.example/s1.pem").is_file());
    assert!(opendkim.join("keys/a.example/s1.private").is_file());
}
