//! Key rotation with overlap over HTTP: Mailgun's DKIM-management endpoints,
//! both dialects' views of each stage, the background's promotion,
//! retirement, deletion and automatic rotation, against the loopback DNS.

mod delegated;
mod endpoints;
mod walk;

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use signet_tests::dialect::mailgun::Via;
use signet_tests::dialect::{send, Reply};
use signet_tests::{spawn_app_with, AppOptions, Backend, TestApp};

/// Re-checks DNS every 200 ms, without a DNS cache, and lets authorities
/// rotate every second (the background looks every 250 ms).
fn fast(settings: &mut signet_api::Settings) {
    settings.dns_recheck.interval = Duration::from_millis(200);
    settings.dns_cache_ttl = Duration::ZERO;
    settings.rotation.min_interval = Duration::from_secs(1);
}

async fn spawn_fast(backend: Backend) -> TestApp {
    spawn_app_with(AppOptions {
        backend,
        configure: Some(fast),
        ..AppOptions::default()
    })
    .await
}

fn rotation_path(name: &str) -> String {
    format!("/v1/dkim_management/domains/{name}/rotation")
}

/// `GET .../rotation` as `key`.
async fn rotation_as(app: &TestApp, key: &str, name: &str) -> Reply {
    send(
        app.mailgun_as(key)
            .request(Method::GET, &rotation_path(name)),
    )
    .await
}

/// `PUT .../rotation` with multipart `params`, as Mailgun documents it.
async fn set_rotation(app: &TestApp, name: &str, params: &[(&str, &str)]) -> Reply {
    app.mailgun()
        .call(Method::PUT, &rotation_path(name), Via::Multipart, params)
        .await
}

/// `POST .../rotate` as `key`.
async fn rotate_as(app: &TestApp, key: &str, name: &str) -> Reply {
    let path = format!("/v1/dkim_management/domains/{name}/rotate");
    send(app.mailgun_as(key).request(Method::POST, &path)).await
}

/// The `keys` of a rotation answer, as (selector, key).
fn keys(body: &Value) -> Vec<(String, Value)> {
    body["domain"]["keys"]
        .as_array()
        .expect("keys is an array")
        .iter()
        .map(|k| (k["selector"].as_str().unwrap().to_owned(), k.clone()))
        .collect()
}

/// The stage of each key of a rotation answer, as (selector, stage).
fn stages(body: &Value) -> Vec<(String, String)> {
    keys(body)
        .into_iter()
        .map(|(s, k)| (s, k["stage"].as_str().unwrap().to_owned()))
        .collect()
}
