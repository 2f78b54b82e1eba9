//! The database's network failing under the server, through a proxy between
//! the two: with `SIGNET_DATABASE_TIMEOUT` at 1 s, every request gets its
//! dialect's 503 within the timeout and a margin, never hangs, writes nothing
//! by halves, and `/readyz` says why; once the network is back, so is the
//! service. PostgreSQL only: a SQLite file has no network.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait as _, Database, DbBackend, Statement, TransactionTrait as _};
use serde_json::{json, Value};
use signet_api::Settings;
use signet_tests::dialect::greenarrow::KEYS;
use signet_tests::skip;
use signet_tests::tcp_proxy::Mode;
use signet_tests::{eventually, postgres_url, spawn_app_with, AppOptions, Backend, TestApp};

use super::{assert_greenarrow_error, assert_mailgun_error};

/// The database timeout the apps here run with.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How long a request may take to give up: the timeout, and a margin for a
/// loaded machine.
const GIVES_UP_WITHIN: Duration = Duration::from_secs(3);
/// How long the service may take to come back once the network is.
const RECOVERS_WITHIN: Duration = Duration::from_secs(15);

/// Also makes every read check its tenant's key version, so every read
/// needs the database (the read model of the keys would otherwise answer
/// from memory for up to 750 ms into an outage).
fn short_database_timeout(settings: &mut Settings) {
    settings.database_timeout = TIMEOUT;
    settings.key_cache.max_unverified = Duration::ZERO;
}

/// An app whose PostgreSQL is behind a proxy; `None` (skipped) without
/// PostgreSQL outside CI.
async fn proxied_app() -> Option<TestApp> {
    if postgres_url().is_none() {
        skip("needs PostgreSQL (SIGNET_TEST_POSTGRES_URL)");
        return None;
    }
    let app = spawn_app_with(AppOptions {
        backend: Backend::Postgres,
        database_proxy: true,
        configure: Some(short_database_timeout),
        ..AppOptions::default()
    })
    .await;
    Some(app)
}

fn switch(app: &TestApp, mode: Mode) {
    app.database_proxy
        .as_ref()
        .expect("the app has a database proxy")
        .set(mode);
}

/// An answer and how long it took.
struct Timed {
    status: u16,
    body: Value,
    took: Duration,
}

async fn timed(request: reqwest::RequestBuilder) -> Timed {
    let start = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(30), request.send())
        .await
        .expect("the server answers within 30 s, not never")
        .expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Timed {
        status,
        body,
        took: start.elapsed(),
    }
}

#[track_caller]
fn assert_gave_up(what: &str, answer: &Timed, dialect_shape: fn(&Value)) {
    assert_eq!(answer.status, 503, "{what}: {}", answer.body);
    dialect_shape(&answer.body);
    assert!(
        answer.took < GIVES_UP_WITHIN,
        "{what} took {:?}",
        answer.took
    );
}

/// Waits until `/readyz` says 200 again.
async fn ready_again(app: &TestApp) {
    eventually(RECOVERS_WITHIN, "ready again", || async {
        let readyz = app.client.get(app.url("/readyz"));
        let status = readyz.send().await.ok()?.status();
        (status == StatusCode::OK).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_blackholed_database_gets_503s_in_both_dialects_within_the_timeout_then_recovers() {
    let Some(app) = proxied_app().await else {
        return;
    };
    let mailgun = app.mailgun();
    let ga = app.greenarrow();
    mailgun
        .create_key("example.com", "before")
        .await
        .expect(200);
    let id = ga.ids("").await[0];

    switch(&app, Mode::Blackhole);
    let filter = [("signing_domain", "example.com"), ("selector", "before")];
    let create = [
        ("signing_domain", "example.com"),
        ("selector", "during"),
        ("bits", "1024"),
    ];
    let ga_create = json!({"dkim_key": {"domain": "example.com", "selector": "during2", "key": {"bits": 1024}}});
    let (mg_list, mg_get, mg_create, ga_list, ga_get, ga_create) = tokio::join!(
        timed(app.get("/v1/dkim/keys")),
        timed(app.get("/v1/dkim/keys").query(&filter)),
        timed(app.post("/v1/dkim/keys").form(&create)),
        timed(ga.request(reqwest::Method::GET, KEYS)),
        timed(ga.request(reqwest::Method::GET, &format!("{KEYS}/{id}"))),
        timed(ga.request(reqwest::Method::POST, KEYS).json(&ga_create)),
    );
    for (what, answer) in [
        ("Mailgun list", &mg_list),
        ("Mailgun get", &mg_get),
        ("Mailgun create", &mg_create),
    ] {
        assert_gave_up(what, answer, assert_mailgun_error);
    }
    for (what, answer) in [
        ("GreenArrow list", &ga_list),
        ("GreenArrow get", &ga_get),
        ("GreenArrow create", &ga_create),
    ] {
        assert_gave_up(what, answer, assert_greenarrow_error);
    }
    let slowest = [&mg_list, &mg_get, &mg_create, &ga_list, &ga_get, &ga_create]
        .iter()
        .map(|a| a.took)
        .max()
        .unwrap_or_default();
    eprintln!("blackhole: slowest 503 after {slowest:?} (timeout {TIMEOUT:?})");

    switch(&app, Mode::Forward);
    let recovery = Instant::now();
    eventually(RECOVERS_WITHIN, "the service recovers", || async {
        let status = app.get("/v1/dkim/keys").send().await.ok()?.status();
        (status == StatusCode::OK).then_some(())
    })
    .await;
    eprintln!(
        "blackhole: 200 again {:?} after the network",
        recovery.elapsed()
    );
    ga.get(id).await.ok();
    mailgun.create_key("example.com", "after").await.expect(200);
    let selectors = mailgun.selectors_of("example.com").await;
    assert!(!selectors.contains(&"during".to_owned()), "{selectors:?}");
}

#[tokio::test]
async fn a_write_waiting_on_the_database_when_the_network_goes_dark_gets_503_and_leaves_nothing() {
    let Some(app) = proxied_app().await else {
        return;
    };
    let mailgun = app.mailgun();
    // Through the proxy too: this lock holds the key create at its insert.
    let locker = Database::connect(app.database_url.as_str()).await.unwrap();
    let watcher = Database::connect(app.database_url.as_str()).await.unwrap();
    let held = locker.begin().await.unwrap();
    held.execute_unprepared("SELECT id FROM tenants WHERE name = 'acme' FOR UPDATE")
        .await
        .unwrap();

    let create = tokio::spawn({
        let request = app.post("/v1/dkim/keys").form(&[
            ("signing_domain", "example.com"),
            ("selector", "inflight"),
            ("bits", "1024"),
        ]);
        timed(request)
    });
    eventually(
        Duration::from_secs(10),
        "the create waits on the lock",
        || async {
            let waiting = Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) AS n FROM pg_locks WHERE NOT granted",
            );
            let row = watcher.query_one(waiting).await.ok()??;
            let n: i64 = row.try_get("", "n").ok()?;
            (n > 0).then_some(())
        },
    )
    .await;
    switch(&app, Mode::Blackhole);
    let dark = Instant::now();
    let answer = create.await.unwrap();
    let after_dark = dark.elapsed();
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_mailgun_error(&answer.body);
    assert!(after_dark < GIVES_UP_WITHIN, "503 after {after_dark:?}");
    eprintln!("in flight: 503 {after_dark:?} after the network went dark");

    switch(&app, Mode::Forward);
    held.rollback().await.unwrap();
    let selectors = eventually(RECOVERS_WITHIN, "the service recovers", || async {
        let answer = mailgun
            .list_keys(&[("signing_domain", "example.com")])
            .await;
        (answer.status == 200).then_some(answer.body)
    })
    .await;
    assert_eq!(selectors["items"], json!([]), "nothing half-written");
    mailgun
        .create_key("example.com", "inflight")
        .await
        .expect(200);
}

#[tokio::test]
async fn readyz_says_at_once_that_the_database_refused_the_connection() {
    let Some(app) = proxied_app().await else {
        return;
    };
    switch(&app, Mode::Refuse);
    let ready = timed(app.client.get(app.url("/readyz"))).await;
    eprintln!("refused: /readyz answered in {:?}", ready.took);
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert_eq!(ready.body["reason"], "database refused the connection");
    assert_eq!(ready.body["database"], "unavailable");
    assert!(ready.took < Duration::from_secs(1), "took {:?}", ready.took);
    // Credentials cannot be checked either: 503, not 401.
    let list = timed(app.get("/v1/dkim/keys")).await;
    assert_gave_up("Mailgun list", &list, assert_mailgun_error);

    switch(&app, Mode::Forward);
    ready_again(&app).await;
}

#[tokio::test]
async fn readyz_says_the_database_did_not_answer_when_the_network_is_blackholed() {
    let Some(app) = proxied_app().await else {
        return;
    };
    switch(&app, Mode::Blackhole);
    let ready = timed(app.client.get(app.url("/readyz"))).await;
    eprintln!("blackhole: /readyz answered in {:?}", ready.took);
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert_eq!(ready.body["reason"], "database did not answer within 1s");
    assert!(ready.took < GIVES_UP_WITHIN, "took {:?}", ready.took);
    let body = ready.body.to_string();
    assert!(
        !body.contains("127.0.0.1") && !body.contains("postgres"),
        "{body}"
    );

    switch(&app, Mode::Forward);
    ready_again(&app).await;
}
