//! The pool of ready RSA keys, over HTTP: each pooled key goes to one create
//! only, even in a concurrent burst through both dialects; pooled keys are
//! distinct, valid and match their DNS records; depth, hits and misses show
//! on `/metrics`; and a pool with no keys falls back to generating.
//!
//! The recorder is shared by every server in the test process, so each test
//! pools a size no other test pools.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures::future::join_all;
use reqwest::Method;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey as _, EncodePublicKey as _};
use rsa::sha2::Sha256;
use rsa::signature::{Signer as _, Verifier as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use signet_api::{KeyPool, Settings};
use signet_tests::dialect::greenarrow::id_of;
use signet_tests::dialect::mailgun::Via;
use signet_tests::{eventually, spawn_app_with, AppOptions, TestApp};

use super::MAILGUN_KEYS;

/// How long a test pool may take to fill in a debug build on a busy machine.
const FILL: Duration = Duration::from_secs(60);

/// The value of `name{bits="BITS"}` on `/metrics`, if it is there.
async fn metric(app: &TestApp, name: &str, bits: u32) -> Option<f64> {
    let text = app.public_text("/metrics").await;
    let prefix = format!("{name}{{bits=\"{bits}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|value| value.trim().parse().expect("a number"))
}

/// The pool's depth, hits and misses for `bits`, each of which must show.
async fn pool_metrics(app: &TestApp, bits: u32) -> [f64; 3] {
    let mut values = [0.0; 3];
    let names = [
        "signet_key_pool_depth",
        "signet_key_pool_hits_total",
        "signet_key_pool_misses_total",
    ];
    for (value, name) in values.iter_mut().zip(names) {
        *value = metric(app, name, bits)
            .await
            .unwrap_or_else(|| panic!("no {name}{{bits=\"{bits}\"}} on /metrics"));
    }
    values
}

/// Waits until the pool holds `depth` keys of `bits`.
async fn filled(app: &TestApp, bits: u32, depth: usize) {
    let what = format!("{depth} pooled keys of {bits} bits");
    eventually(FILL, &what, || async {
        let [held, ..] = pool_metrics(app, bits).await;
        (held == depth as f64).then_some(())
    })
    .await;
}

fn pool(settings: &mut Settings, config: &str) {
    settings.keygen.pool = KeyPool::parse(config).expect("a valid pool");
}

/// The base64 public key of a record value `k=rsa; p=...`.
fn published(value: &Value) -> String {
    let value = value.as_str().expect("a record value");
    let p = value.strip_prefix("k=rsa; p=").expect("an RSA record");
    p.to_owned()
}

#[tokio::test]
async fn a_hundred_concurrent_creates_in_both_dialects_never_share_a_pooled_key() {
    let app = spawn_app_with(AppOptions {
        configure: Some(|s| {
            pool(s, "1024:50");
            // A hundred connections from one address.
            s.limits.max_connections_per_ip = 0;
        }),
        ..AppOptions::default()
    })
    .await;
    let other = app.new_tenant("other").await;
    filled(&app, 1024, 50).await;
    let [_, hits_before, misses_before] = pool_metrics(&app, 1024).await;

    let (mg, ga) = (app.mailgun(), app.greenarrow_as(&other));
    let mailgun = (0..50).map(|i| {
        let mg = &mg;
        async move {
            let created = mg.create_key("example.com", &format!("mg{i}")).await;
            published(&created.expect(200)["dns_record"]["value"])
        }
    });
    let greenarrow = (0..50).map(|i| {
        let ga = &ga;
        async move {
            let fields = json!({
                "domain": "example.com", "selector": format!("ga{i}"), "key": { "bits": 1024 }
            });
            let record = ga.create_ok(fields).await;
            published(&record["dns"]["public_key"]["value"])
        }
    });
    let (mut keys, greenarrow) = tokio::join!(join_all(mailgun), join_all(greenarrow));
    keys.extend(greenarrow);

    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 100, "a key was handed out twice");
    let [_, hits, misses] = pool_metrics(&app, 1024).await;
    let (hits, misses) = (hits - hits_before, misses - misses_before);
    eprintln!("100 creates: {hits} from the pool, {misses} generated");
    assert_eq!(hits + misses, 100.0);
    assert!(hits >= 50.0, "the 50 ready keys were used: {hits} hits");
}

#[tokio::test]
async fn pooled_keys_are_distinct_and_valid_and_match_their_dns_records() {
    let app = spawn_app_with(AppOptions {
        private_key_export: true,
        configure: Some(|s| pool(s, "2048:4")),
        ..AppOptions::default()
    })
    .await;
    filled(&app, 2048, 4).await;
    let [_, hits_before, _] = pool_metrics(&app, 2048).await;

    let (mg, ga) = (app.mailgun(), app.greenarrow());
    for selector in ["mg1", "mg2"] {
        let params = [
            ("signing_domain", "example.com"),
            ("selector", selector),
            ("bits", "2048"),
        ];
        let reply = mg.call(Method::POST, MAILGUN_KEYS, Via::UrlEncoded, &params);
        reply.await.expect(200);
    }
    for selector in ["ga1", "ga2"] {
        let fields =
            json!({ "domain": "example.com", "selector": selector, "key": { "bits": 2048 } });
        ga.create_ok(fields).await;
    }
    let [_, hits, _] = pool_metrics(&app, 2048).await;
    assert!(
        hits - hits_before >= 4.0,
        "the four keys came from the pool"
    );

    let listed = ga.list("per_page=10").await.ok();
    let items = listed["dkim_keys"].as_array().expect("dkim_keys");
    assert_eq!(items.len(), 4);
    let mut moduli = Vec::new();
    for item in items {
        let record = ga.get(id_of(item)).await.ok()["dkim_key"].take();
        assert_eq!(record["key"]["bits"], 2048, "{record}");
        let pem = record["key"]["private"].as_str().expect("key.private");
        let private = RsaPrivateKey::from_pkcs1_pem(pem).expect("a PKCS#1 key");
        private.validate().expect("a consistent key");

        let der = STANDARD
            .decode(published(&record["dns"]["public_key"]["value"]))
            .expect("base64");
        let public = RsaPublicKey::from_public_key_der(&der).expect("a public key");
        let own = private.to_public_key();
        assert_eq!(
            own.to_public_key_der().unwrap().as_bytes(),
            der,
            "the DNS record publishes this private key's public half"
        );
        let message = b"DKIM-Signature: v=1; a=rsa-sha256";
        let signature: Signature = SigningKey::<Sha256>::new(private).sign(message);
        VerifyingKey::<Sha256>::new(public)
            .verify(message, &signature)
            .expect("a signature verifies with the published key");
        moduli.push(der);
    }
    moduli.sort_unstable();
    moduli.dedup();
    assert_eq!(moduli.len(), 4, "every pooled key is distinct");
}

#[tokio::test]
async fn the_pools_depth_and_hits_show_on_metrics_and_a_taken_key_is_replaced() {
    let app = spawn_app_with(AppOptions {
        configure: Some(|s| pool(s, "1280:2")),
        ..AppOptions::default()
    })
    .await;
    // The server answered before its pool was full: it fills in the background.
    filled(&app, 1280, 2).await;
    let [_, hits, misses] = pool_metrics(&app, 1280).await;
    assert_eq!((hits, misses), (0.0, 0.0));

    let fields = json!({ "domain": "example.com", "selector": "s1", "key": { "bits": 1280 } });
    let record = app.greenarrow().create_ok(fields).await;
    assert_eq!(record["key"]["bits"], 1280, "{record}");
    let [_, hits, misses] = pool_metrics(&app, 1280).await;
    assert_eq!((hits, misses), (1.0, 0.0));
    filled(&app, 1280, 2).await;
}

#[tokio::test]
async fn a_pool_with_no_keys_falls_back_to_generating_and_counts_a_miss() {
    let app = spawn_app_with(AppOptions {
        configure: Some(|s| pool(s, "1536:0")),
        ..AppOptions::default()
    })
    .await;
    let [depth, hits, misses] = pool_metrics(&app, 1536).await;
    assert_eq!((depth, hits, misses), (0.0, 0.0, 0.0));

    let fields = json!({ "domain": "example.com", "selector": "s1", "key": { "bits": 1536 } });
    let record = app.greenarrow().create_ok(fields).await;
    assert_eq!(record["key"]["bits"], 1536, "{record}");
    let [depth, hits, misses] = pool_metrics(&app, 1536).await;
    assert_eq!((depth, hits, misses), (0.0, 0.0, 1.0));
}
