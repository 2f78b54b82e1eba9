//! Master-key rotation: a node given a new master key and the old one as
//! "previous" still opens every private key the old one sealed; without the
//! old one it refuses to start.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{json, Value};
use signet_api::{Application, MasterKeySource};
use signet_storage::MasterKey;
use signet_tests::spawn_app_exporting_keys;

use super::GREENARROW_KEYS;

/// The base64 of a fresh master key.
fn new_master_key() -> String {
    MasterKey::generate()
        .expect("a master key")
        .to_base64()
        .to_string()
}

/// Starts a node on `app`'s database with other master-key settings and
/// returns its base URL.
async fn node_with(app: &signet_tests::TestApp, current: &str, previous: Option<&str>) -> String {
    let mut settings = app.settings.clone();
    settings.master_key = MasterKeySource::Base64(SecretString::from(current));
    settings.previous_master_keys = previous.map(SecretString::from);
    let node = Application::build(settings).await.expect("the node builds");
    let url = format!("http://127.0.0.1:{}", node.port());
    tokio::spawn(node.run_until_stopped());
    url
}

async fn private_key(app: &signet_tests::TestApp, base_url: &str, id: i64) -> (StatusCode, Value) {
    let response = app
        .client
        .get(format!("{base_url}{GREENARROW_KEYS}/{id}"))
        .basic_auth("api", Some(&app.api_key))
        .send()
        .await
        .expect("the node answers");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn a_rotated_master_key_still_opens_what_the_old_one_sealed() {
    let app = spawn_app_exporting_keys().await;
    let MasterKeySource::Base64(old) = &app.settings.master_key else {
        panic!("test apps are given their master key");
    };
    let old = secrecy::ExposeSecret::expose_secret(old).to_owned();
    let created: Value = app
        .post(GREENARROW_KEYS)
        .json(&json!({"dkim_key": {"domain": "example.com", "selector": "s1", "key": {"bits": 1024}}}))
        .send()
        .await
        .expect("created")
        .json()
        .await
        .expect("a JSON body");
    let id = created["data"]["dkim_key"]["id"].as_i64().expect("an id");
    let pem = created["data"]["dkim_key"]["key"]["private"].clone();
    assert!(
        pem.as_str().is_some_and(|p| p.contains("PRIVATE KEY")),
        "{created}"
    );

    let new = new_master_key();
    let rotated = node_with(&app, &new, Some(&format!(" {old} ,"))).await;
    let (status, body) = private_key(&app, &rotated, id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["dkim_key"]["key"]["private"], pem);

    // Without the old key, a node refuses to start and names the key it
    // needs, rather than failing the first read of a private key.
    let mut settings = app.settings.clone();
    settings.master_key = MasterKeySource::Base64(SecretString::from(new.as_str()));
    let refused = Application::build(settings)
        .await
        .err()
        .expect("a node without the old key does not build");
    let shown = format!("{refused:#}");
    let old_id = MasterKey::from_base64(&old)
        .expect("a master key")
        .id()
        .to_owned();
    assert!(shown.contains(&format!("master key {old_id}")), "{shown}");
    assert!(!shown.contains(&old) && !shown.contains(&new), "{shown}");
}
