//! Paging by number and by token, on SQLite and PostgreSQL; tokens stay
//! valid while keys come and go.

use serde_json::{json, Value};
use signet_tests::dialect::greenarrow::{id_of, GreenArrow};
use signet_tests::fixtures::keys;
use signet_tests::skip;
use signet_tests::{postgres_url, spawn_app, spawn_app_on, Backend, TestApp, POSTGRES_URL_VAR};

/// An app on `backend`; `None` for PostgreSQL when no server is configured
/// outside CI (in CI, [`postgres_url`] fails the test instead).
async fn app_on(backend: Backend) -> Option<TestApp> {
    if backend == Backend::Postgres && postgres_url().is_none() {
        skip(&format!("{POSTGRES_URL_VAR} is not set: no PostgreSQL run"));
        return None;
    }
    Some(spawn_app_on(backend).await)
}

/// Imports `n` keys as `s0..` on `domain`; returns their ids.
async fn fill(ga: &GreenArrow<'_>, domain: &str, n: usize) -> Vec<i64> {
    let pem = &keys().await[0].pkcs1;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(ga.import(domain, &format!("s{i}"), pem).await);
    }
    ids
}

fn page_ids(data: &Value) -> Vec<i64> {
    data["dkim_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

fn token(data: &Value) -> Option<String> {
    data["pagination"]["next_page_token"]
        .as_str()
        .map(str::to_owned)
}

/// Follows tokens from `first_query` to the end; returns each page's data.
async fn walk(ga: &GreenArrow<'_>, first_query: &str) -> Vec<Value> {
    let mut pages = vec![ga.list(first_query).await.ok()];
    while let Some(next) = token(pages.last().unwrap()) {
        pages.push(ga.list(&format!("page_token={next}")).await.ok());
        assert!(pages.len() < 100, "the walk ends");
    }
    pages
}

async fn pages_by_number(backend: Backend) {
    let Some(app) = app_on(backend).await else {
        return;
    };
    let ga = app.greenarrow();
    let ids = fill(&ga, "example.com", 7).await;
    let mut seen = Vec::new();
    for (page, expected_len, has_next) in [(0, 3, true), (1, 3, true), (2, 1, false)] {
        let data = ga.list(&format!("page={page}&per_page=3")).await.ok();
        assert_eq!(
            data["pagination"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            [
                "next_page_token",
                "num_pages",
                "num_records",
                "page",
                "per_page"
            ]
        );
        assert_eq!(data["pagination"]["page"], page);
        assert_eq!(data["pagination"]["per_page"], 3);
        assert_eq!(data["pagination"]["num_pages"], 3);
        assert_eq!(data["pagination"]["num_records"], 7);
        assert_eq!(token(&data).is_some(), has_next, "page {page}");
        assert!(data["pagination"]
            .as_object()
            .unwrap()
            .contains_key("next_page_token"));
        let items = data["dkim_keys"].as_array().unwrap();
        assert_eq!(items.len(), expected_len);
        for item in items {
            let mut fields: Vec<&String> = item.as_object().unwrap().keys().collect();
            fields.sort();
            assert_eq!(
                fields,
                [
                    "default_for_domain",
                    "domain",
                    "id",
                    "key_algorithm",
                    "key_bits",
                    "safe_to_remove",
                    "selector",
                    "stage"
                ]
            );
        }
        seen.extend(page_ids(&data));
    }
    assert_eq!(seen, ids, "every key once, ascending by id");
    let beyond = ga.list("page=3&per_page=3").await.ok();
    assert!(page_ids(&beyond).is_empty());
    assert!(token(&beyond).is_none());
    assert_eq!(beyond["pagination"]["num_records"], 7);
}

async fn pages_by_token(backend: Backend) {
    let Some(app) = app_on(backend).await else {
        return;
    };
    let ga = app.greenarrow();
    let ids = fill(&ga, "example.com", 7).await;
    let pages = walk(&ga, "per_page=2").await;
    let numbers: Vec<&Value> = pages.iter().map(|p| &p["pagination"]["page"]).collect();
    assert_eq!(numbers, [0, 1, 2, 3]);
    for page in &pages {
        assert_eq!(page["pagination"]["per_page"], 2);
        assert_eq!(page["pagination"]["num_pages"], 4);
        assert_eq!(page["pagination"]["num_records"], 7);
    }
    let seen: Vec<i64> = pages.iter().flat_map(page_ids).collect();
    assert_eq!(seen, ids);
    // A token's page is the same page when asked again.
    let again = ga
        .list(&format!("page_token={}", token(&pages[1]).unwrap()))
        .await
        .ok();
    assert_eq!(again, pages[2]);
}

async fn a_token_survives_inserts_and_deletes(backend: Backend) {
    let Some(app) = app_on(backend).await else {
        return;
    };
    let ga = app.greenarrow();
    let ids = fill(&ga, "example.com", 8).await;
    let first = ga.list("per_page=3").await.ok();
    assert_eq!(page_ids(&first), ids[..3]);
    let next = token(&first).unwrap();

    // Mid-walk: delete a key already seen (including the token's own last
    // key), delete one not yet seen, and add two.
    ga.delete(ids[1]).await.ok();
    ga.delete(ids[2]).await.ok();
    ga.delete(ids[5]).await.ok();
    let pem = &keys().await[1].pkcs1;
    let added = [
        ga.import("example.com", "late1", pem).await,
        ga.import("example.com", "late2", pem).await,
    ];

    let mut seen = page_ids(&first);
    let mut query = format!("page_token={next}");
    loop {
        let data = ga.list(&query).await.ok();
        seen.extend(page_ids(&data));
        match token(&data) {
            Some(next) => query = format!("page_token={next}"),
            None => break,
        }
    }
    let mut expected = ids[..3].to_vec();
    expected.extend([ids[3], ids[4], ids[6], ids[7]]);
    expected.extend(added);
    assert_eq!(seen, expected, "no key skipped or repeated");
}

async fn the_domain_filter_ignores_case_and_follows_tokens(backend: Backend) {
    let Some(app) = app_on(backend).await else {
        return;
    };
    let ga = app.greenarrow();
    let pem = &keys().await[0].pkcs1;
    let mut wanted = Vec::new();
    for i in 0..5 {
        wanted.push(ga.import("Example.com", &format!("a{i}"), pem).await);
        ga.import("other.com", &format!("b{i}"), pem).await;
    }
    let pages = walk(&ga, "domain=EXAMPLE.COM&per_page=2").await;
    assert_eq!(pages.len(), 3);
    for page in &pages {
        assert_eq!(page["pagination"]["num_records"], 5);
        for item in page["dkim_keys"].as_array().unwrap() {
            assert_eq!(item["domain"], "example.com");
        }
    }
    let seen: Vec<i64> = pages.iter().flat_map(page_ids).collect();
    assert_eq!(seen, wanted);
    // The token remembers the filter; repeating it is fine, changing it is not.
    let next = token(&pages[0]).unwrap();
    ga.list(&format!("page_token={next}&domain=example.com"))
        .await
        .ok();
    ga.list(&format!("page_token={next}&domain=other.com"))
        .await
        .invalid_request();
    ga.list(&format!("page_token={next}&per_page=3"))
        .await
        .invalid_request();
    let none = ga.list("domain=nobody.example").await.ok();
    assert_eq!(
        none["pagination"],
        json!({ "page": 0, "per_page": 100, "num_pages": 0, "num_records": 0, "next_page_token": null })
    );
}

#[tokio::test]
async fn pages_by_number_cover_every_key_once_on_sqlite() {
    pages_by_number(Backend::Sqlite).await;
}

#[tokio::test]
async fn pages_by_number_cover_every_key_once_on_postgres() {
    pages_by_number(Backend::Postgres).await;
}

#[tokio::test]
async fn pages_by_token_cover_every_key_once_on_sqlite() {
    pages_by_token(Backend::Sqlite).await;
}

#[tokio::test]
async fn pages_by_token_cover_every_key_once_on_postgres() {
    pages_by_token(Backend::Postgres).await;
}

#[tokio::test]
async fn a_token_survives_inserts_and_deletes_on_sqlite() {
    a_token_survives_inserts_and_deletes(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_token_survives_inserts_and_deletes_on_postgres() {
    a_token_survives_inserts_and_deletes(Backend::Postgres).await;
}

#[tokio::test]
async fn the_domain_filter_ignores_case_and_follows_tokens_on_sqlite() {
    the_domain_filter_ignores_case_and_follows_tokens(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_domain_filter_ignores_case_and_follows_tokens_on_postgres() {
    the_domain_filter_ignores_case_and_follows_tokens(Backend::Postgres).await;
}

#[tokio::test]
async fn the_default_page_is_a_hundred_and_per_page_goes_to_2000() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let ids = fill(&ga, "example.com", 3).await;
    let data = ga.list("").await.ok();
    assert_eq!(data["pagination"]["per_page"], 100);
    assert_eq!(page_ids(&data), ids);
    let data = ga.list("per_page=2000&page=0").await.ok();
    assert_eq!(data["pagination"]["per_page"], 2000);
    // Empty values count as absent.
    let data = ga.list("page=&per_page=&domain=&page_token=").await.ok();
    assert_eq!(data["pagination"]["per_page"], 100);
}

#[tokio::test]
async fn bad_list_parameters_are_refused_in_the_envelope() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    fill(&ga, "example.com", 3).await;
    let messages = ga
        .list("per_page=2001")
        .await
        .error(400, "requested_too_many");
    assert_eq!(messages, ["per_page must be at most 2000"]);
    for query in [
        "per_page=0",
        "per_page=-1",
        "per_page=x",
        "page=-1",
        "page=x",
        "page=1.5",
    ] {
        ga.list(query).await.invalid_request();
    }
    let first = ga.list("per_page=1").await.ok();
    let next = token(&first).unwrap();
    let messages = ga
        .list(&format!("page=1&page_token={next}"))
        .await
        .invalid_request();
    assert_eq!(messages, ["page and page_token may not be given together"]);
    for bad in ["garbage", "e30", &next[1..], "%00"] {
        let messages = ga
            .list(&format!("page_token={bad}"))
            .await
            .invalid_request();
        assert_eq!(messages, ["page_token is not valid"], "{bad}");
    }
    ga.list("domain=a..b").await.invalid_request();
    ga.list("page=99999999999999999999&per_page=2000")
        .await
        .invalid_request();
    ga.list("page=9999999999999999&per_page=2000")
        .await
        .invalid_request();
}
