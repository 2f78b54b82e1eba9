//! The `signet-agent` binary itself: its command line and its exit status.

use std::process::Command;

fn agent(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signet-agent"))
        .args(args)
        .env_remove("SIGNET_FLEET_TOKEN")
        .output()
        .unwrap()
}

#[test]
fn sync_once_against_an_unreachable_signet_fails_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let to = format!("dir:{}", dir.path().join("keys").display());
    let out = agent(&[
        "sync",
        "--url",
        "http://127.0.0.1:1",
        "--token",
        "sgf_x",
        "--to",
        &to,
        "--once",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("signet-agent: polling http://127.0.0.1:1"),
        "{stderr}"
    );
    assert!(!dir.path().join("keys").exists(), "nothing written");
}

#[test]
fn sync_needs_a_target() {
    let out = agent(&["sync", "--url", "http://s", "--token", "t"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to"));
}
