//! The tenant's `min_rsa_bits` (default 1024, RFC 8301's floor) holds in
//! both dialects: keys below it are neither generated nor imported, and a
//! GreenArrow PUT cannot downgrade a key made through Mailgun.

use serde_json::{json, Value};
use signet_tests::dialect::greenarrow::{id_of, spawn_full_range};
use signet_tests::fixtures::{keys, small_key};
use signet_tests::{spawn_app, spawn_app_with, AppOptions};

const BITS_BELOW_1024: &str =
    "key.bits must be greater than or equal to 1024 for this account (min_rsa_bits)";
const PRIVATE_512_BELOW_1024: &str =
    "key.private must be a key of at least 1024 bits for this account (min_rsa_bits); it has 512";

fn generate(selector: &str, bits: u32) -> Value {
    json!({ "domain": "example.com", "selector": selector, "key": { "bits": bits } })
}

fn import(selector: &str, pem: &str) -> Value {
    json!({ "domain": "example.com", "selector": selector, "key": { "private": pem } })
}

#[tokio::test]
async fn by_default_greenarrow_neither_generates_nor_imports_512_bit_keys() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let small = small_key().await;
    assert_eq!(
        ga.create(generate("s1", 512)).await.validation_failed(),
        [BITS_BELOW_1024]
    );
    for pem in [&small.pkcs1, &small.pkcs8] {
        assert_eq!(
            ga.create(import("s1", pem)).await.validation_failed(),
            [PRIVATE_512_BELOW_1024]
        );
    }
    assert_eq!(ga.ids("").await, Vec::<i64>::new());

    // A 1024-bit key is made, and a PUT cannot shrink it.
    let made = ga.create_ok(generate("s1", 1024)).await;
    let id = id_of(&made);
    let put = ga.update(id, json!({ "key": { "private": small.pkcs1 } }));
    assert_eq!(put.await.validation_failed(), [PRIVATE_512_BELOW_1024]);
    assert_eq!(ga.get(id).await.ok()["dkim_key"], made);
}

#[tokio::test]
async fn a_greenarrow_put_cannot_downgrade_a_key_made_through_mailgun() {
    let app = spawn_app().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    let created = mg.create_key("example.com", "mg1").await;
    assert_eq!(created.status, 200, "{}", created.body);
    let listed = ga.list("domain=example.com").await.ok();
    let before = listed["dkim_keys"][0].clone();
    assert_eq!(before["key_bits"], 1024, "{before}");
    let id = id_of(&before);
    let record = ga.get(id).await.ok()["dkim_key"].take();

    let small = small_key().await;
    let put = ga.update(
        id,
        json!({ "key": { "bits": 512, "private": small.pkcs1 } }),
    );
    assert_eq!(put.await.validation_failed(), [PRIVATE_512_BELOW_1024]);
    assert_eq!(ga.get(id).await.ok()["dkim_key"], record);
    let records = mg.keys_of("example.com").await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].1, created.body["dns_record"]);
}

#[tokio::test]
async fn a_tenant_that_lowers_its_minimum_to_512_gets_greenarrows_full_range() {
    let app = spawn_full_range().await;
    let ga = app.greenarrow();
    let small = small_key().await;
    let generated = ga.create_ok(generate("gen", 512)).await;
    assert_eq!(generated["key"]["bits"], 512);
    let imported = ga.create_ok(import("imp", &small.pkcs8)).await;
    assert_eq!(imported["key"]["bits"], 512);
    let made = ga.create_ok(import("big", &keys().await[0].pkcs1)).await;
    let put = ga.update(id_of(&made), json!({ "key": { "private": small.pkcs1 } }));
    let after = put.await.ok();
    assert_eq!(after["dkim_key"]["key"]["bits"], 512);
    assert_eq!(after["dkim_key"]["key"]["public"], small.public);
}

#[tokio::test]
async fn a_minimum_of_2048_refuses_1024_bit_keys_in_both_dialects() {
    let app = spawn_app_with(AppOptions {
        min_rsa_bits: Some(2048),
        ..AppOptions::default()
    })
    .await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    let pem = &keys().await[0];

    let generated = mg.create_key("example.com", "s1").await;
    assert_eq!(generated.status, 400, "{}", generated.body);
    assert_eq!(
        generated.body["message"],
        "failed to create domain key: the key has 1024 bits, below this account's minimum of 2048 (min_rsa_bits)"
    );
    let imported = mg.import_key("example.com", "s1", &pem.pkcs1).await;
    assert_eq!(imported.status, 400, "{}", imported.body);
    assert_eq!(
        imported.body["message"],
        "failed to import domain key: the key has 1024 bits, below this account's minimum of 2048 (min_rsa_bits)"
    );
    // Registering a domain generates its first key: refused as a whole.
    let domain = mg.create_domain("example.com", "mx").await;
    assert_eq!(domain.status, 400, "{}", domain.body);
    assert!(
        domain.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("minimum of 2048")),
        "{}",
        domain.body
    );

    assert_eq!(
        ga.create(generate("s1", 1024)).await.validation_failed(),
        ["key.bits must be greater than or equal to 2048 for this account (min_rsa_bits)"]
    );
    assert_eq!(
        ga.create(import("s1", &pem.pkcs1)).await.validation_failed(),
        ["key.private must be a key of at least 2048 bits for this account (min_rsa_bits); it has 1024"]
    );
    assert_eq!(ga.ids("").await, Vec::<i64>::new());
    assert!(mg.keys_of("example.com").await.is_empty());
}
