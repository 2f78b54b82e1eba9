//! Body size, request time and connection limits, answered in each dialect's
//! own error shape.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use signet_tests::{spawn_app, spawn_app_configured, TestApp};

use super::{
    assert_greenarrow_error, assert_mailgun_error, raw_exchange, DIALECTS, GREENARROW_KEYS,
    MAILGUN_KEYS,
};

/// One byte over the default limit of 1 MiB.
const TOO_LARGE: usize = 1024 * 1024 + 1;

#[tokio::test]
async fn a_body_over_one_mib_is_413_in_mailgun_shape() {
    let app = spawn_app().await;
    let body = format!("pem={}", "a".repeat(TOO_LARGE));
    let response = app
        .post(MAILGUN_KEYS)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_mailgun_error(&response.json().await.unwrap());
}

#[tokio::test]
async fn a_body_over_one_mib_is_413_in_greenarrow_shape() {
    let app = spawn_app().await;
    let body = serde_json::json!({ "dkim_key": { "domain": "a".repeat(TOO_LARGE) } });
    let response = app.post(GREENARROW_KEYS).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_greenarrow_error(&body);
}

#[tokio::test]
async fn a_chunked_body_without_a_length_is_cut_off_at_the_limit_too() {
    let app = spawn_app().await;
    for (path, dialect_shape) in DIALECTS {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n",
            app.api_key
        );
        let chunk = vec![b' '; 64 * 1024];
        let mut body = Vec::new();
        for _ in 0..(TOO_LARGE / chunk.len() + 1) {
            body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            body.extend_from_slice(&chunk);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0\r\n\r\n");
        let (status, json) = raw_exchange(app.port, &head, &body).await;
        assert_eq!(status, 413, "{path}: {json}");
        dialect_shape(&json);
    }
}

#[tokio::test]
async fn a_body_under_a_configured_limit_passes_and_over_it_is_refused() {
    let app = spawn_app_configured(|s| s.limits.body_limit = 100).await;
    let over = app
        .post(GREENARROW_KEYS)
        .json(&serde_json::json!({ "dkim_key": { "domain": "a".repeat(100) } }))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let under = app.get(GREENARROW_KEYS).send().await.unwrap();
    assert_eq!(under.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_that_outlives_the_timeout_is_408_in_the_dialects_shape() {
    let app = spawn_app_configured(|s| s.limits.request_timeout = Duration::from_millis(300)).await;
    for (path, dialect_shape) in DIALECTS {
        // Promises 100 bytes and sends 2: the request can never finish.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            app.api_key
        );
        let (status, json) = raw_exchange(app.port, &head, b"{}").await;
        assert_eq!(status, 408, "{path}: {json}");
        dialect_shape(&json);
    }
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let mut app = spawn_app_configured(|s| s.limits.max_connections = 1).await;
    // The app's own client keeps the one connection open (keep-alive).
    let waiting = healthz_on_a_new_connection(&app, Duration::from_secs(1)).await;
    assert!(waiting.is_err(), "served beyond the cap: {waiting:?}");

    // Dropping that client closes its connection and frees the slot.
    app.client = reqwest::Client::new();
    let served = healthz_on_a_new_connection(&app, Duration::from_secs(30)).await;
    assert_eq!(served.unwrap(), StatusCode::OK);
}

async fn healthz_on_a_new_connection(
    app: &TestApp,
    timeout: Duration,
) -> reqwest::Result<StatusCode> {
    let client = reqwest::Client::builder().timeout(timeout).build().unwrap();
    let response = client.get(app.url("/healthz")).send().await?;
    Ok(response.status())
}
