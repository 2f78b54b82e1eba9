//! The `signet` binary's settings end to end: the layers, the errors a
//! newcomer meets, each command's help, and one server per SQLite file.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use signet_testkit::signet_process::{self, SignetServer};
use tempfile::TempDir;
use tokio::process::Command;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");

/// `signet ARGS` in `dir` with the variables `vars` and no others.
fn signet(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = signet_process::signet(SIGNET, args);
    command.current_dir(dir).envs(vars.iter().copied());
    command
}

async fn run(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    signet_process::output(signet(dir, args, vars)).await
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn with_json_logs_a_fatal_error_is_one_json_line_naming_the_variable() {
    let dir = TempDir::new().unwrap();
    let vars = [("SIGNET_LOG_FORMAT", "json"), ("SIGNET_LISTEN", "nowhere")];
    let out = run(dir.path(), &["serve"], &vars).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    let line: Value = serde_json::from_str(lines[0]).expect("a JSON line");
    assert_eq!(line["level"], "ERROR");
    let message = line["fields"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid SIGNET_LISTEN: `nowhere`"),
        "{message}"
    );
}

#[tokio::test]
async fn a_bad_flag_is_named_as_a_flag() {
    let dir = TempDir::new().unwrap();
    let out = run(dir.path(), &["migrate", "--database-timeout", "soon"], &[]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).starts_with("signet: invalid --database-timeout: `soon`"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn the_settings_file_is_read_and_a_variable_beats_it() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("signet.toml");
    std::fs::write(
        &file,
        "database_url = \"sqlite://from-file.db?mode=rwc\"\ndatabase_timeout = \"2s\"\n",
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let out = run(dir.path(), &["--config", config, "migrate"], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("from-file.db").exists());

    let vars = [
        ("SIGNET_CONFIG", config),
        ("SIGNET_DATABASE_URL", "sqlite://from-env.db?mode=rwc"),
    ];
    let out = run(dir.path(), &["migrate"], &vars).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("from-env.db").exists());
}

#[tokio::test]
async fn an_unknown_or_bad_key_in_the_settings_file_is_named() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("signet.toml");
    let config = file.to_str().unwrap();
    std::fs::write(&file, "listen_port = 8080\n").unwrap();
    let out = run(dir.path(), &["--config", config, "serve"], &[]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown setting `listen_port`"),
        "{}",
        stderr(&out)
    );

    std::fs::write(&file, "database_timeout = \"soon\"\n").unwrap();
    let out = run(dir.path(), &["--config", config, "migrate"], &[]).await;
    let err = stderr(&out);
    assert!(err.contains("invalid `database_timeout` in "), "{err}");
    assert!(err.contains("signet.toml"), "{err}");
}

#[tokio::test]
async fn each_command_lists_only_its_own_options() {
    let dir = TempDir::new().unwrap();
    let top = stdout(&run(dir.path(), &["--help"], &[]).await);
    assert!(top.lines().count() < 40, "{top}");
    assert!(!top.contains("--listen"), "{top}");

    let serve = stdout(&run(dir.path(), &["serve", "--help"], &[]).await);
    for expected in [
        "--listen",
        "Timeout of one DNS attempt [default: 2s]",
        "Attempts per DNS lookup [default: 2]",
    ] {
        assert!(serve.contains(expected), "{expected}: {serve}");
    }
    assert!(!serve.contains("[env: SIGNET_LISTEN"), "{serve}");

    let sync = stdout(&run(dir.path(), &["fleet", "sync", "--help"], &[]).await);
    assert!(sync.contains("--url"), "{sync}");
    assert!(!sync.contains("--database-url"), "{sync}");

    let token = stdout(&run(dir.path(), &["console", "token", "--help"], &[]).await);
    assert!(token.contains("--database-url"), "{token}");
    assert!(!token.contains("--listen"), "{token}");
}

#[tokio::test]
async fn a_console_token_may_live_ninety_days() {
    let dir = TempDir::new().unwrap();
    let args = ["console", "token", "--role", "operator", "--ttl", "90d"];
    let out = run(dir.path(), &args, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).trim().is_empty());
}

#[tokio::test]
async fn the_local_master_key_file_is_announced_once_when_it_is_made() {
    let dir = TempDir::new().unwrap();
    let first = run(dir.path(), &["tenant", "create", "a"], &[]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        stderr(&first).matches("master key").count(),
        1,
        "{}",
        stderr(&first)
    );
    let second = run(dir.path(), &["tenant", "create", "b"], &[]).await;
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        !stderr(&second).contains("master key"),
        "{}",
        stderr(&second)
    );
}

#[tokio::test]
async fn a_second_server_on_one_sqlite_file_is_refused_and_administration_runs_beside() {
    let dir = TempDir::new().unwrap();
    let _first = SignetServer::start(signet(dir.path(), &["serve"], &[])).await;
    let second = run(dir.path(), &["serve"], &[("SIGNET_LISTEN", "127.0.0.1:0")]).await;
    assert!(!second.status.success());
    let err = stderr(&second);
    let refusal: Vec<&str> = err.lines().filter(|l| l.contains("refusing")).collect();
    assert_eq!(refusal.len(), 1, "{err}");
    assert!(
        refusal[0].starts_with("signet: refusing to start: another `signet serve` is using"),
        "{err}"
    );
    let list = run(dir.path(), &["tenant", "list"], &[]).await;
    assert!(list.status.success(), "{}", stderr(&list));
}

#[tokio::test]
async fn tls_needs_both_files_and_a_file_that_holds_no_certificate_is_named() {
    let dir = TempDir::new().unwrap();
    let listen = ("SIGNET_LISTEN", "127.0.0.1:0");
    let half = run(
        dir.path(),
        &["serve"],
        &[listen, ("SIGNET_TLS_CERT_FILE", "cert.pem")],
    )
    .await;
    assert!(!half.status.success());
    let err = stderr(&half);
    assert!(
        err.contains("SIGNET_TLS_CERT_FILE is set without its pair")
            && err.contains("SIGNET_TLS_KEY_FILE"),
        "{err}"
    );

    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    let files = [
        ("SIGNET_TLS_CERT_FILE", "empty.pem"),
        ("SIGNET_TLS_KEY_FILE", "empty.pem"),
    ];
    let out = run(dir.path(), &["serve"], &[listen, files[0], files[1]]).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("the TLS certificate file empty.pem holds no certificate"),
        "{err}"
    );
}
