//! Liveness and readiness.

use reqwest::StatusCode;
use serde_json::Value;
use signet_tests::skip;
use signet_tests::{
    backends, postgres_url, spawn_app, spawn_app_on, spawn_app_with, AppOptions, Backend,
};

#[tokio::test]
async fn healthz_says_alive_without_credentials() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "alive");
}

#[tokio::test]
async fn readyz_is_200_when_the_database_answers() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        let response = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{backend:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"status": "ok", "database": "ok", "redis": "local"}),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn readyz_is_503_with_a_reason_when_the_database_is_gone() {
    if postgres_url().is_none() {
        skip("needs PostgreSQL (SIGNET_TEST_POSTGRES_URL)");
        return;
    }
    let app = spawn_app_with(AppOptions {
        backend: Backend::Postgres,
        ..AppOptions::default()
    })
    .await;
    app.drop_database().await;

    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "unavailable");
    assert_eq!(body["redis"], "local");
    assert!(
        body["reason"].as_str().unwrap().contains("database"),
        "{body}"
    );
    // Alive all the same: restarting would not bring the database back.
    let alive = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
}
