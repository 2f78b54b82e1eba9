//! Database round trips per read, counted by the server itself
//! (`signet_database_statements_total` on `/metrics`): once the caller's key
//! is in the authentication cache, authenticating costs none; with the read
//! model of the keys, the first key read after a write costs two statements
//! (the tenant's key version, then its keys) and later ones none; without
//! it, a get or a list of either dialect, its total included, costs one.

use std::time::Duration;

use reqwest::RequestBuilder;
use serde_json::json;
use signet_api::Settings;
use signet_tests::dialect::greenarrow::{id_of, KEYS};
use signet_tests::{postgres_url, skip, spawn_app_with, AppOptions, Backend, TestApp};

/// The statements the server has sent to its database so far.
async fn statements(app: &TestApp) -> u64 {
    let text = app.public_text("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix("signet_database_statements_total "))
        .unwrap_or_else(|| panic!("no statement count in /metrics:\n{text}"))
        .trim()
        .parse()
        .expect("a count")
}

/// The statements one successful request costs.
async fn cost(app: &TestApp, request: RequestBuilder) -> u64 {
    let before = statements(app).await;
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{status}: {body}");
    statements(app).await - before
}

/// The caches keep answers for a minute, so no lookup expires mid-test,
/// and the background publisher (whose pass reads the publishers every
/// second) and the read model's sweep are off, so every statement counted
/// is the request's own.
fn cache_for_a_minute(settings: &mut Settings) {
    settings.auth_cache.ttl = Duration::from_secs(60);
    settings.publish.interval = Duration::ZERO;
    settings.key_cache.sweep_interval = Duration::from_secs(3600);
    settings.key_cache.max_unverified = Duration::from_secs(60);
}

/// The same, with the read model of the keys off.
fn cache_for_a_minute_without_the_read_model(settings: &mut Settings) {
    cache_for_a_minute(settings);
    settings.key_cache.max_keys = 0;
}

async fn reads_cost(backend: Backend, read_model: bool) {
    let configure = if read_model {
        cache_for_a_minute
    } else {
        cache_for_a_minute_without_the_read_model
    };
    let app = spawn_app_with(AppOptions {
        backend,
        configure: Some(configure),
        ..AppOptions::default()
    })
    .await;
    let mg = app.mailgun();
    let ga = app.greenarrow();
    mg.create_domain("example.com", "s1").await.expect(200);
    mg.create_key("example.com", "s2").await.expect(200);
    let id = id_of(
        &ga.create_ok(json!({"domain": "example.net", "selector": "s3", "key": {"bits": 1024}}))
            .await,
    );

    // The first authenticated request looks the key up; later ones do not.
    let first = cost(&app, app.get("/healthz")).await;
    assert!(first <= 1, "authentication took {first} statements");
    let cached = cost(&app, app.get("/healthz")).await;
    assert_eq!(cached, 0, "a cached key cost {cached} statements");

    // The first key read after the writes: with the read model, the
    // tenant's key version and then its keys; without, the page.
    let page = app.get(&format!("{KEYS}?per_page=1"));
    let first = cost(&app, page).await;
    assert_eq!(first, if read_model { 2 } else { 1 }, "first read");
    let token = ga.list("per_page=1").await.ok()["pagination"]["next_page_token"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let reads = [
        ("GreenArrow get", app.get(&format!("{KEYS}/{id}"))),
        ("GreenArrow default page", app.get(KEYS)),
        (
            "GreenArrow page by number",
            app.get(&format!("{KEYS}?page=1&per_page=1")),
        ),
        (
            "GreenArrow page by token",
            app.get(&format!("{KEYS}?page_token={token}")),
        ),
        (
            "GreenArrow page past the end",
            app.get(&format!("{KEYS}?page=5")),
        ),
        ("Mailgun list", app.get("/v1/dkim/keys?limit=10")),
        (
            "Mailgun list of a domain",
            app.get("/v1/dkim/keys?signing_domain=example.com"),
        ),
        ("Mailgun domains", app.get("/v4/domains")),
    ];
    for (what, request) in reads {
        let read = cost(&app, request).await;
        // Domains are not in the read model. A page past the end still
        // reports the total: one more statement.
        let allowed = match (read_model, what) {
            (_, "Mailgun domains") => 1,
            (true, _) => 0,
            (false, what) if what.ends_with("past the end") => 2,
            (false, _) => 1,
        };
        assert_eq!(read, allowed, "{what}: {read} statements");
    }
}

#[tokio::test]
async fn a_get_or_a_list_costs_no_statement_from_the_read_model_on_sqlite() {
    reads_cost(Backend::Sqlite, true).await;
}

#[tokio::test]
async fn a_get_or_a_list_costs_no_statement_from_the_read_model_on_postgres() {
    if postgres_url().is_none() {
        skip("needs PostgreSQL (SIGNET_TEST_POSTGRES_URL)");
        return;
    }
    reads_cost(Backend::Postgres, true).await;
}

#[tokio::test]
async fn without_the_read_model_a_get_or_a_list_costs_one_statement_on_sqlite() {
    reads_cost(Backend::Sqlite, false).await;
}

#[tokio::test]
async fn without_the_read_model_a_get_or_a_list_costs_one_statement_on_postgres() {
    if postgres_url().is_none() {
        skip("needs PostgreSQL (SIGNET_TEST_POSTGRES_URL)");
        return;
    }
    reads_cost(Backend::Postgres, false).await;
}
