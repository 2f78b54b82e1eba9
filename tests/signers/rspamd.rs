//! rspamd signing from the Redis hashes `signet fleet sync` wrote.

use std::time::Duration;

use signet_testkit::{Rspamd, TestMessage};
use signet_tests::fixtures::keys;
use signet_tests::skip::redis_or_skip;
use signet_tests::spawn_app;

use super::{create_ed25519, dkimpy, record_of, sync_once, tag, verifier};
use crate::fleet::{create_fleet, poll};

/// rspamd's signature of `message`. rspamd reads the key from Redis as it
/// scans; on a machine loaded by the whole suite that read can time out and
/// the message goes out unsigned, so it is scanned again, for a while.
async fn signed(rspamd: &Rspamd, message: &TestMessage) -> String {
    signet_tests::eventually(Duration::from_secs(20), "rspamd signs", || {
        rspamd.sign(message)
    })
    .await
}

#[tokio::test]
async fn rspamd_signs_with_the_rsa_and_ed25519_keys_synced_to_redis_and_they_verify() {
    if !Rspamd::available() {
        return signet_tests::skip("rspamd or rspamc is missing");
    }
    let Some(python) = verifier() else { return };
    let Some(redis) = redis_or_skip() else { return };
    let (keys_hash, selectors_hash) = (
        format!("{}DKIM_KEYS", redis.key_prefix),
        format!("{}DKIM_SELECTORS", redis.key_prefix),
    );
    let target = format!(
        "rspamd-redis:{}?key_prefix={keys_hash}&selector_prefix={selectors_hash}",
        redis.url
    );

    let app = spawn_app().await;
    app.greenarrow()
        .import("a.example", "s1", &keys().await[0].pkcs1)
        .await;
    // Ed25519 keys reach rspamd as their seed.
    create_ed25519(&app, "e.example", "ed").await;
    let token = create_fleet(&app, "mta", "a.example,e.example").await;
    sync_once(&app.base_url, &token, &[target]).await.unwrap();
    let feed = poll(&app, &token, None).await.ok();

    let server = redis
        .url
        .trim_start_matches("redis://")
        .trim_end_matches('/');
    let rspamd = Rspamd::start(server, &keys_hash, &selectors_hash).await;
    let message = TestMessage {
        from_domain: "a.example".into(),
    };
    let signature = signed(&rspamd, &message).await;
    assert_eq!(tag(&signature, "d"), "a.example");
    assert_eq!(tag(&signature, "s"), "s1");
    let (name, value) = record_of(&feed, "a.example", "s1");
    assert_eq!(
        dkimpy(&python, &message.signed(&signature), &name, &value).await,
        "pass"
    );

    let message = TestMessage {
        from_domain: "e.example".into(),
    };
    let signature = signed(&rspamd, &message).await;
    assert_eq!(tag(&signature, "a"), "ed25519-sha256");
    let (name, value) = record_of(&feed, "e.example", "ed");
    let verdict = dkimpy(&python, &message.signed(&signature), &name, &value).await;
    assert_eq!(verdict, "pass");
    drop(rspamd);

    let mut conn = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&keys_hash)
        .arg(&selectors_hash)
        .arg(format!("{keys_hash}:signet:mta"))
        .query_async(&mut conn)
        .await
        .unwrap();
}
