//! Two nodes over one PostgreSQL answer the same: a key made or deleted
//! through one is answered by the other's DNS server within the bound
//! (1 s), announced over Redis when there is one, and found by the other's
//! sweep of the zone's versions when there is not.

use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use reqwest::Method;
use signet_tests::{
    eventually, postgres_url, skip, spawn_app_with, AppOptions, Backend, RedisConfig, TestApp,
};

use super::{addr, create_key, delegate, query, serve_zone, served, txt_values, udp};

/// How soon another node answers a change.
const BOUND: Duration = Duration::from_secs(1);

async fn two_nodes_agree(redis: Option<RedisConfig>) {
    let app = spawn_app_with(AppOptions {
        backend: Backend::Postgres,
        redis,
        configure: Some(serve_zone),
        ..AppOptions::default()
    })
    .await;
    let node = app.spawn_node().await;
    let other = node.dns_zone.expect("the second node answers DNS");
    assert_ne!(other, addr(&app));
    let (label, first) = delegate(&app, "example.com").await;
    eventually(
        BOUND,
        "the other node serves the delegated domain's key",
        || async {
            let answer = udp(
                other,
                &query(&served(&label, "pdk1"), RecordType::TXT, None),
            )
            .await;
            (txt_values(&answer) == [first.clone()]).then_some(())
        },
    )
    .await;

    let name = served(&label, "s2");
    let value = create_key(&app, "example.com", "s2", 1024).await;
    eventually(BOUND, "the other node serves the new key", || async {
        let answer = udp(other, &query(&name, RecordType::TXT, None)).await;
        (txt_values(&answer) == [value.clone()]).then_some(())
    })
    .await;

    delete_key(&app, "example.com", "s2").await;
    eventually(
        BOUND,
        "the other node stops serving the deleted key",
        || async {
            let answer = udp(other, &query(&name, RecordType::TXT, None)).await;
            (answer.response_code() == ResponseCode::NXDomain).then_some(())
        },
    )
    .await;
}

async fn delete_key(app: &TestApp, domain: &str, selector: &str) {
    let response = app
        .request(Method::DELETE, "/v1/dkim/keys")
        .query(&[("signing_domain", domain), ("selector", selector)])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_a_change_on_one_node_is_answered_by_the_other_within_a_second() {
    if postgres_url().is_none() {
        skip("needs PostgreSQL (SIGNET_TEST_POSTGRES_URL)");
        return;
    }
    two_nodes_agree(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_a_change_on_one_node_is_answered_by_the_other_within_a_second() {
    if postgres_url().is_none() {
        skip("needs PostgreSQL (SIGNET_TEST_POSTGRES_URL)");
        return;
    }
    let Some(redis) = signet_tests::skip::redis_or_skip() else {
        return;
    };
    two_nodes_agree(Some(redis)).await;
}
