//! Paging of `GET /v1/dkim/keys`: opaque tokens in absolute URLs that clients
//! follow until a page comes back empty.

use reqwest::Method;
use serde_json::Value;
use signet_tests::dialect::mailgun::{items, Mailgun};
use signet_tests::dialect::send;
use signet_tests::fixtures;
use signet_tests::{backends, spawn_app, spawn_app_configured, spawn_app_on, TestApp};

/// Imports `n` keys `s0..s{n-1}` under `domain`.
async fn keys(mg: &Mailgun<'_>, domain: &str, n: usize) {
    let a = &fixtures::keys().await[0];
    for i in 0..n {
        mg.import_key(domain, &format!("s{i}"), &a.pkcs1)
            .await
            .expect(200);
    }
}

fn selectors(body: &Value) -> Vec<String> {
    items(body)
        .iter()
        .map(|i| i["selector"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows an absolute paging URL, which must point at this app.
async fn follow(app: &TestApp, mg: &Mailgun<'_>, url: &Value) -> Value {
    let url = url.as_str().expect("paging URLs are strings");
    let path = url
        .strip_prefix(&app.base_url)
        .unwrap_or_else(|| panic!("{url} is not an absolute URL of {}", app.base_url));
    send(mg.request(Method::GET, path)).await.expect(200)
}

#[tokio::test]
async fn walking_next_visits_every_key_once_then_gives_empty_pages() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        walk_next(&app).await;
    }
}

async fn walk_next(app: &TestApp) {
    let mg = app.mailgun();
    keys(&mg, "example.com", 7).await;
    keys(&mg, "other.example", 2).await;

    let mut page = mg
        .list_keys(&[("limit", "3"), ("signing_domain", "example.com")])
        .await
        .expect(200);
    let mut seen = Vec::new();
    let mut pages = 0;
    while !items(&page).is_empty() {
        pages += 1;
        assert!(pages <= 3, "too many pages");
        assert!(items(&page).len() <= 3);
        assert_eq!(page["total_count"], 7);
        for link in ["first", "last", "next", "previous"] {
            let url = page["paging"][link].as_str().unwrap();
            assert!(
                url.starts_with(&format!("{}/v1/dkim/keys?page=", app.base_url)),
                "{url}"
            );
            assert!(
                url.contains("limit=3") && url.contains("signing_domain=example.com"),
                "{url}"
            );
        }
        seen.extend(selectors(&page));
        page = follow(app, &mg, &page["paging"]["next"]).await;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);

    // Past the end it stays empty, and `previous` leads back to the last keys.
    let again = follow(app, &mg, &page["paging"]["next"]).await;
    assert!(items(&again).is_empty());
    let back = follow(app, &mg, &page["paging"]["previous"]).await;
    assert_eq!(selectors(&back), ["s4", "s5", "s6"]);
}

#[tokio::test]
async fn first_last_and_previous_links_lead_where_they_say() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        follow_links(&app).await;
    }
}

async fn follow_links(app: &TestApp) {
    let mg = app.mailgun();
    keys(&mg, "example.com", 5).await;
    let first = mg.list_keys(&[("limit", "2")]).await.expect(200);
    assert_eq!(selectors(&first), ["s0", "s1"]);

    let last = follow(app, &mg, &first["paging"]["last"]).await;
    assert_eq!(selectors(&last), ["s3", "s4"]);
    let before_last = follow(app, &mg, &last["paging"]["previous"]).await;
    assert_eq!(selectors(&before_last), ["s1", "s2"]);
    let start = follow(app, &mg, &before_last["paging"]["first"]).await;
    assert_eq!(selectors(&start), ["s0", "s1"]);
    let after_last = follow(app, &mg, &last["paging"]["next"]).await;
    assert!(items(&after_last).is_empty());
    // Before the first key there is nothing either.
    let before_first = follow(app, &mg, &first["paging"]["previous"]).await;
    assert!(items(&before_first).is_empty());
}

#[tokio::test]
async fn limits_default_to_10_and_stop_at_100() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    keys(&mg, "example.com", 12).await;
    for query in [
        &[][..],
        &[("limit", "")][..],
        &[("limit", "0")][..],
        &[("page", ""), ("limit", "")][..],
    ] {
        let body = mg.list_keys(query).await.expect(200);
        assert_eq!(items(&body).len(), 10, "{query:?}");
    }
    let body = mg.list_keys(&[("limit", "100")]).await.expect(200);
    assert_eq!(items(&body).len(), 12);
    assert!(body["paging"]["next"]
        .as_str()
        .unwrap()
        .contains("limit=100"));
    // Beyond the documented maximum is refused, as the document says.
    mg.list_keys(&[("limit", "1000")])
        .await
        .expect_error(400, "limit must be at most 100");
}

#[tokio::test]
async fn paging_urls_use_forwarded_headers_only_when_trusted() {
    let forwarded = |mg: &Mailgun<'_>| {
        mg.request(Method::GET, "/v1/dkim/keys")
            .header("X-Forwarded-Host", "api.example.net")
            .header("X-Forwarded-Proto", "https")
    };

    let app = spawn_app().await;
    let mg = app.mailgun();
    let body = send(forwarded(&mg)).await.expect(200);
    for link in ["first", "last", "next", "previous"] {
        let url = body["paging"][link].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/v1/dkim/keys?", app.base_url)),
            "{url}"
        );
    }

    let trusting = spawn_app_configured(|settings| settings.trust_forwarded_headers = true).await;
    let mg = trusting.mailgun();
    let body = send(forwarded(&mg)).await.expect(200);
    for link in ["first", "last", "next", "previous"] {
        let url = body["paging"][link].as_str().unwrap();
        assert!(
            url.starts_with("https://api.example.net/v1/dkim/keys?page="),
            "{url}"
        );
    }
    // Without the headers, the Host header still decides.
    let plain = mg.list_keys(&[]).await.expect(200);
    let next = plain["paging"]["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/v1/dkim/keys?", trusting.base_url)),
        "{next}"
    );
}

#[tokio::test]
async fn a_token_that_was_not_issued_is_refused() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for token in ["string", "eyJhdCI6InNpZGV3YXlzIn0", "%00"] {
        mg.list_keys(&[("page", token)])
            .await
            .expect_error_containing(400, "page must be a token");
    }
}
