//! A rotation's steps reach the feed on the next poll, even while the feed
//! is cached: its pending key, then the promotion (the new key signs, the
//! old one retires but is still served for verification).

use reqwest::{Method, StatusCode};
use serde_json::Value;
use signet_tests::dialect::mailgun::publish;
use signet_tests::dialect::send;
use signet_tests::{spawn_app_with, AppOptions};

use super::{create_fleet, poll};

/// Keep cached feeds for ten minutes: only invalidation explains a change.
fn cache_long(settings: &mut signet_api::Settings) {
    settings.feed_cache.max_age = std::time::Duration::from_secs(600);
    settings.feed_cache.revalidate_after = std::time::Duration::from_secs(600);
}

/// (selector, stage, signing) of each key of a feed.
fn stages(feed: &Value) -> Vec<(String, String, bool)> {
    feed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["selector"].as_str().unwrap().to_owned(),
                k["stage"].as_str().unwrap().to_owned(),
                k["signing"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(selector: &str, stage: &str, signing: bool) -> (String, String, bool) {
    (selector.to_owned(), stage.to_owned(), signing)
}

#[tokio::test]
async fn a_rotation_and_its_promotion_are_seen_on_the_next_poll() {
    let app = spawn_app_with(AppOptions {
        configure: Some(cache_long),
        ..AppOptions::default()
    })
    .await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "mx").await.expect(200);
    let (_, record) = mg.keys_of("example.com").await.remove(0);
    publish(&app, &record);
    mg.key_action("example.com", "mx", "activate")
        .await
        .expect(200);
    let token = create_fleet(&app, "mta-eu", "example.com").await;
    let first = poll(&app, &token, None).await;
    assert_eq!(stages(&first.ok()), [row("mx", "active", true)]);
    let etag = first.etag.unwrap();

    let rotate = "/v1/dkim_management/domains/example.com/rotate";
    let rotated = send(mg.request(Method::POST, rotate)).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = poll(&app, &token, Some(&etag)).await;
    let feed = second.ok();
    let new = feed["keys"][1]["selector"].as_str().unwrap().to_owned();
    assert_eq!(
        stages(&feed),
        [row("mx", "active", true), row(&new, "pending", false)]
    );

    publish(&app, &feed["keys"][1]["dns_record"]);
    let verify = "/v4/domains/example.com/verify";
    let verified = send(mg.request(Method::PUT, verify)).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    let third = poll(&app, &token, second.etag.as_deref()).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.text);
    assert_eq!(
        stages(&third.ok()),
        [row("mx", "retiring", false), row(&new, "active", true)]
    );
}
