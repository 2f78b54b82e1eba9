//! Mailgun's official JavaScript SDK (mailgun.js) against a real server:
//! runs `tests/sdk/node/mailgun_js_test.mjs` with the packages `.ci/run`
//! installs there (`npm ci`), driving `dkimManagement.update` and
//! `dkimManagement.rotateImmediately` unchanged.

use std::path::PathBuf;

use signet_tests::skip;
use signet_tests::spawn_app;

/// `tests/sdk/node`.
fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sdk/node")
}

#[tokio::test]
async fn mailgun_js_updates_rotation_and_rotates_immediately() {
    let dir = sdk_dir();
    if !dir.join("node_modules/mailgun.js").exists() {
        let setup = "cd tests/sdk/node && npm ci";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but mailgun.js is not installed: run `{setup}`");
        }
        skip(&format!("mailgun.js is not installed (run `{setup}`)"));
        return;
    }
    let app = spawn_app().await;
    app.mailgun()
        .create_domain("sdk.example.com", "mx")
        .await
        .expect(200);

    let output = tokio::process::Command::new("node")
        .arg(dir.join("mailgun_js_test.mjs"))
        .current_dir(&dir)
        .env("SIGNET_API_URL", &app.base_url)
        .env("SIGNET_API_KEY", &app.api_key)
        .env("SIGNET_DOMAIN", "sdk.example.com")
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the mailgun.js test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("5 passed, 0 failed"), "{stdout}\n{stderr}");

    // What the SDK did is what the server now holds.
    let rotation = app
        .mailgun()
        .request(
            reqwest::Method::GET,
            "/v1/dkim_management/domains/sdk.example.com/rotation",
        )
        .send()
        .await
        .expect("the server answers");
    let body: serde_json::Value = rotation.json().await.expect("JSON");
    assert_eq!(body["domain"]["rotation_interval"], "5d");
    let stages: Vec<&str> = body["domain"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["active", "pending"]);
}
