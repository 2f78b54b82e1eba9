//! The background DNS re-check: records are noticed without a verify call,
//! and of several nodes only one checks each key.

use std::time::Duration;

use signet_api::Settings;
use signet_domain::RecheckRound;
use signet_tests::dialect::mailgun::publish;
use signet_tests::fixtures::keys;
use signet_tests::skip::redis_or_skip;
use signet_tests::{spawn_app_configured, spawn_app_with, AppOptions};

use super::{eventually, validity};

/// Re-checks every ~200 ms through a cache that forgets after 300 ms.
fn fast_recheck_short_cache(settings: &mut Settings) {
    super::fast_recheck(settings);
    settings.dns_cache_ttl = Duration::from_millis(300);
}

#[tokio::test]
async fn a_published_record_is_found_valid_without_a_verify_call() {
    let app = spawn_app_configured(fast_recheck_short_cache).await;
    let mg = app.mailgun();
    let created = mg.create_key("example.com", "s1").await.expect(200);
    assert_eq!(created["dns_record"]["valid"], "unknown");
    let validity = || validity(&app.base_url, &app.api_key, "example.com", "s1");

    eventually(
        Duration::from_secs(10),
        "the missing record is noticed",
        || async { (validity().await == "invalid").then_some(()) },
    )
    .await;
    publish(&app, &created["dns_record"]);
    eventually(
        Duration::from_secs(10),
        "the published record is noticed",
        || async { (validity().await == "valid").then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn of_two_nodes_checking_at_once_only_one_looks_each_key_up() {
    // The nodes share their leases through Redis, as in a deployment.
    let Some(redis) = redis_or_skip() else {
        return;
    };
    let app = spawn_app_with(AppOptions {
        configure: Some(|s| s.dns_cache_ttl = Duration::ZERO),
        redis: Some(redis),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    let mg = app.mailgun();
    let [pem, _, _] = keys().await;
    let selectors: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
    for selector in &selectors {
        let created = mg
            .import_key("example.com", selector, &pem.pkcs1)
            .await
            .expect(200);
        publish(&app, &created["dns_record"]);
    }

    let round = RecheckRound {
        older_than: Duration::from_secs(3600),
        limit: 100,
        concurrency: 2,
    };
    let (a, b) = tokio::join!(app.core.recheck_due(round), node.core.recheck_due(round),);
    let (a, b) = (a.unwrap(), b.unwrap());

    assert_eq!(a.checked + b.checked, selectors.len(), "{a:?} {b:?}");
    assert_eq!(a.failed + b.failed, 0);
    for selector in &selectors {
        assert_eq!(
            app.dns
                .queries(&format!("{selector}._domainkey.example.com")),
            1
        );
        assert_eq!(
            validity(&node.base_url, &app.api_key, "example.com", selector).await,
            "valid"
        );
    }
    // Nothing is due any more: another round looks nothing up.
    let again = app.core.recheck_due(round).await.unwrap();
    assert_eq!((again.due, again.checked), (0, 0));
}
