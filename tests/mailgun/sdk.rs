//! Mailgun's official Python SDK against a real server: runs
//! `tests/sdk/mailgun_sdk_test.py` in the `.venv-sdk` that `.ci/run` creates.

use std::path::PathBuf;

use signet_tests::dialect::mailgun::split;
use signet_tests::fixtures::keys;
use signet_tests::skip;
use signet_tests::spawn_app;

/// The repository's root.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

#[tokio::test]
async fn mailguns_python_sdk_manages_keys_and_domains() {
    let python = repo().join(".venv-sdk/bin/python");
    if !python.exists() {
        let setup = "python3 -m venv .venv-sdk && .venv-sdk/bin/pip install -q mailgun pytest";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but {} is missing: run `{setup}`", python.display());
        }
        skip(&format!("{} is missing (run `{setup}`)", python.display()));
        return;
    }

    let app = spawn_app().await;
    let [pem, _, _] = keys().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pem_file = dir.path().join("server.key");
    std::fs::write(&pem_file, &pem.pkcs1).expect("the PEM is written");
    // Published before the run: the SDK activates the key it imports from this file.
    app.dns
        .set_txt("pem._domainkey.sdk.example.com", vec![split(&pem.record)]);

    let output = tokio::process::Command::new(&python)
        .arg(repo().join("tests/sdk/mailgun_sdk_test.py"))
        .env("SIGNET_API_URL", &app.base_url)
        .env("SIGNET_API_KEY", &app.api_key)
        .env("SIGNET_PEM_FILE", &pem_file)
        .env("SIGNET_PEM_RECORD", &pem.record)
        .kill_on_drop(true)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}\n{stderr}");
    println!("{stdout}");
}
