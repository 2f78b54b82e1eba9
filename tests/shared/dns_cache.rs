//! The DNS answers cache: explicit checks always ask the name servers (and
//! refresh the cache); background re-checks take what the cache holds, from
//! this node (in process) or any node (on Redis).

use std::time::Duration;

use reqwest::Method;
use signet_tests::dialect::mailgun::{items, publish};
use signet_tests::dialect::send;
use signet_tests::fixtures::keys;
use signet_tests::skip::redis_or_skip;
use signet_tests::{spawn_app, spawn_app_configured, spawn_app_with, AppOptions};

use super::{eventually, fast_recheck, validity};

const NAME: &str = "s1._domainkey.example.com";

#[tokio::test]
async fn an_explicit_verify_asks_the_name_servers_despite_the_cache() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let created = mg.create_domain("example.com", "s1").await.expect(200);
    let verify = || send(mg.request(Method::PUT, "/v4/domains/example.com/verify"));

    verify().await.expect(200);
    assert_eq!(
        validity(&app.base_url, &app.api_key, "example.com", "s1").await,
        "invalid"
    );
    let record = &created["sending_dns_records"];
    let dkim = record
        .as_array()
        .and_then(|records| records.iter().find(|r| r["name"] == NAME))
        .unwrap_or_else(|| panic!("no DKIM record in {created}"));
    publish(&app, dkim);
    verify().await.expect(200);

    assert_eq!(
        validity(&app.base_url, &app.api_key, "example.com", "s1").await,
        "valid"
    );
    assert_eq!(app.dns.queries(NAME), 2, "each verify looked the record up");
}

#[tokio::test]
async fn a_background_check_reuses_an_answer_looked_up_for_another_tenant() {
    let app = spawn_app_configured(fast_recheck).await;
    let [pem, _, _] = keys().await;
    let acme = app.mailgun();
    acme.import_active("example.com", "s1", &pem.pkcs1).await;
    let looked_up = app.dns.queries(NAME);
    assert!(looked_up >= 1);

    // Another tenant with a key at the same name: the background check of
    // its key is answered from the cache.
    let globex_key = app.new_tenant("globex").await;
    let globex = app.mailgun_as(&globex_key);
    globex
        .import_key("example.com", "s1", &pem.pkcs1)
        .await
        .expect(200);
    eventually(
        Duration::from_secs(10),
        "globex's key is found valid",
        || async {
            let valid = validity(&app.base_url, &globex_key, "example.com", "s1").await;
            (valid == "valid").then_some(())
        },
    )
    .await;
    assert_eq!(app.dns.queries(NAME), looked_up, "served from the cache");
}

#[tokio::test]
async fn on_redis_an_answer_one_node_looked_up_serves_another() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    let a = spawn_app_with(AppOptions {
        redis: Some(redis.clone()),
        ..AppOptions::default()
    })
    .await;
    let b = spawn_app_with(AppOptions {
        redis: Some(redis),
        configure: Some(fast_recheck),
        ..AppOptions::default()
    })
    .await;
    let [pem, _, _] = keys().await;

    let on_a = a.mailgun();
    on_a.import_active("example.com", "s1", &pem.pkcs1).await;
    assert_eq!(a.dns.queries(NAME), 1);

    // B's name server has no such record: only the shared cache can make
    // B's key valid.
    b.mailgun()
        .import_key("example.com", "s1", &pem.pkcs1)
        .await
        .expect(200);
    eventually(
        Duration::from_secs(10),
        "B's key is found valid",
        || async {
            let valid = validity(&b.base_url, &b.api_key, "example.com", "s1").await;
            (valid == "valid").then_some(())
        },
    )
    .await;
    assert_eq!(b.dns.queries(NAME), 0);
    let listed = b.mailgun().list_keys(&[]).await.expect(200);
    assert_eq!(
        items(&listed)[0]["dns_record"]["cached"][0],
        pem.record.as_str()
    );
}
