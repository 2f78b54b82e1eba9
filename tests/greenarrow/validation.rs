//! Every validation rule of the page, each answered with `validation_failed`
//! and one English message per failing field.

use serde_json::{json, Value};
use signet_tests::dialect::greenarrow::{assert_has, spawn_full_range, GreenArrow};
use signet_tests::fixtures::{keys, small_key};
use signet_tests::spawn_app;

const DOMAIN_LENGTH: &str = "domain must be from 1 to 200 characters in length";
const DOMAIN_FORM: &str = "domain must be a domain name: dot-separated strings of only letters, numbers, and dashes, with no dot next to a dash or another dot";
const SELECTOR_LENGTH: &str = "selector must be from 1 to 200 characters in length";
const SELECTOR_TAKEN: &str = "selector must be unique (case-insensitive) among all DKIM Keys with the same (case-insensitive) domain";
const BITS_MIN: &str = "key.bits must be a positive integer greater than or equal to 512";
const BITS_MAX: &str = "key.bits must be less than or equal to 8192";
const NOT_A_KEY: &str = "key.private must be a valid private key";

/// A payload importing the shared test key.
async fn import(domain: &str, selector: &str) -> Value {
    json!({ "domain": domain, "selector": selector, "key": { "private": keys().await[0].pkcs1 } })
}

/// The messages a create with these fields fails with.
async fn failures(ga: &GreenArrow<'_>, fields: Value) -> Vec<String> {
    ga.create(fields).await.validation_failed()
}

#[tokio::test]
async fn a_domain_must_be_1_to_200_characters() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let longest = format!("{}.com", "a".repeat(196));
    let too_long = format!("{}.com", "a".repeat(197));
    assert_eq!(failures(&ga, import("", "s1").await).await, [DOMAIN_LENGTH]);
    assert_eq!(
        failures(&ga, import(&too_long, "s1").await).await,
        [DOMAIN_LENGTH]
    );
    let record = ga.create_ok(import(&longest, "s1").await).await;
    assert_eq!(record["domain"], longest);
}

#[tokio::test]
async fn a_domain_is_dot_separated_letters_digits_and_dashes() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    for bad in [
        "a-.example.com",
        "a.-example.com",
        "a..example.com",
        ".example.com",
        "example.com.",
        "ex_ample.com",
        "ex ample.com",
        "exämple.com",
        "example.com/x",
    ] {
        assert_eq!(
            failures(&ga, import(bad, "s1").await).await,
            [DOMAIN_FORM],
            "{bad}"
        );
    }
    let record = ga.create_ok(import("a-b.Example.COM", "s1").await).await;
    assert_eq!(record["domain"], "a-b.example.com", "stored lower-case");
    assert_eq!(ga.ids("").await.len(), 1, "only the valid key was stored");
}

#[tokio::test]
async fn a_selector_must_be_1_to_200_characters_of_labels() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let longest = "s".repeat(200);
    assert_eq!(
        failures(&ga, import("example.com", "").await).await,
        [SELECTOR_LENGTH]
    );
    let too_long = "s".repeat(201);
    assert_eq!(
        failures(&ga, import("example.com", &too_long).await).await,
        [SELECTOR_LENGTH]
    );
    for bad in ["s1..x", "has space", ".s1", "s1/x"] {
        let messages = failures(&ga, import("example.com", bad).await).await;
        assert_eq!(messages.len(), 1, "{bad}: {messages:?}");
        assert!(
            messages[0].starts_with("selector must be"),
            "{bad}: {messages:?}"
        );
    }
    let record = ga.create_ok(import("example.com", &longest).await).await;
    assert_eq!(record["selector"], longest);
    let record = ga
        .create_ok(import("example.com", "Mail_2024.eu-west").await)
        .await;
    assert_eq!(
        record["selector"], "Mail_2024.eu-west",
        "the case given is kept"
    );
}

#[tokio::test]
async fn a_selector_is_unique_per_domain_ignoring_case() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    ga.create_ok(import("example.com", "Default").await).await;
    for (domain, selector) in [
        ("example.com", "Default"),
        ("example.com", "default"),
        ("EXAMPLE.com", "DEFAULT"),
    ] {
        let messages = failures(&ga, import(domain, selector).await).await;
        assert_eq!(messages, [SELECTOR_TAKEN], "{domain} {selector}");
    }
    ga.create_ok(import("other.example.com", "default").await)
        .await;
    ga.create_ok(import("example.com", "default2").await).await;

    // Renaming onto a taken selector is refused too, and changes nothing.
    let id = ga
        .import("example.com", "third", &keys().await[1].pkcs1)
        .await;
    let messages = ga
        .update(id, json!({ "selector": "DEFAULT" }))
        .await
        .validation_failed();
    assert_eq!(messages, [SELECTOR_TAKEN]);
    let messages = ga
        .update(
            id,
            json!({ "domain": "Other.Example.com", "selector": "Default" }),
        )
        .await
        .validation_failed();
    assert_eq!(messages, [SELECTOR_TAKEN]);
    let record = ga.get(id).await.ok();
    assert_eq!(record["dkim_key"]["selector"], "third");
    assert_eq!(record["dkim_key"]["domain"], "example.com");
}

#[tokio::test]
async fn bits_must_be_from_512_to_8192() {
    let app = spawn_full_range().await;
    let ga = app.greenarrow();
    let with_bits = |selector: &str, bits: i64| json!({ "domain": "example.com", "selector": selector, "key": { "bits": bits } });
    for bits in [511, 0, -1, -1024] {
        assert_eq!(
            failures(&ga, with_bits("s1", bits)).await,
            [BITS_MIN],
            "{bits}"
        );
    }
    for bits in [8193, 16384, i64::MAX] {
        assert_eq!(
            failures(&ga, with_bits("s1", bits)).await,
            [BITS_MAX],
            "{bits}"
        );
    }
    let record = ga.create_ok(with_bits("s512", 512)).await;
    assert_eq!(record["key"]["bits"], 512);

    // 8192 passes validation: with a taken selector, the only complaint is the
    // selector (the core refuses before generating anything).
    assert_eq!(
        failures(&ga, with_bits("s512", 8192)).await,
        [SELECTOR_TAKEN]
    );
}

#[tokio::test]
async fn a_private_key_must_be_a_valid_rsa_key_of_512_bits_or_more() {
    let app = spawn_full_range().await;
    let ga = app.greenarrow();
    for bad in [
        "",
        "hello",
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ\n-----END PUBLIC KEY-----",
    ] {
        let fields =
            json!({ "domain": "example.com", "selector": "s1", "key": { "private": bad } });
        assert_eq!(failures(&ga, fields).await, [NOT_A_KEY], "{bad:?}");
    }
    let small = small_key().await;
    let record = ga
        .create_ok(
            json!({ "domain": "example.com", "selector": "s1", "key": { "private": small.pkcs8 } }),
        )
        .await;
    assert_eq!(record["key"]["bits"], 512);
    assert_eq!(record["key"]["public"], small.public);
}

#[tokio::test]
async fn a_create_needs_its_required_fields() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let messages = failures(&ga, json!({})).await;
    assert_eq!(
        messages,
        [
            "domain is required",
            "selector is required",
            "key must have either bits or private"
        ]
    );
    let messages = failures(
        &ga,
        json!({ "domain": "example.com", "selector": "s1", "key": {} }),
    )
    .await;
    assert_eq!(messages, ["key must have either bits or private"]);
}

#[tokio::test]
async fn every_failing_field_is_reported_at_once() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let messages = failures(
        &ga,
        json!({ "domain": "a..b", "selector": "", "key": { "bits": 511 } }),
    )
    .await;
    assert_eq!(messages, [DOMAIN_FORM, SELECTOR_LENGTH, BITS_MIN]);
    let messages = failures(
        &ga,
        json!({ "domain": "", "selector": "ok", "key": { "private": "nope" } }),
    )
    .await;
    assert_eq!(messages, [DOMAIN_LENGTH, NOT_A_KEY]);
}

#[tokio::test]
async fn read_only_fields_are_refused_on_create_and_update() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let pem = &keys().await[0];
    let base = import("example.com", "s1").await;
    let cases = [
        ("id", json!({ "id": 7 }), None),
        (
            "dns",
            json!({ "dns": { "public_key": { "name": "x" } } }),
            None,
        ),
        ("dns", json!({ "dns": null }), None),
        (
            "key.public",
            Value::Null,
            Some(json!({ "private": pem.pkcs1, "public": pem.public })),
        ),
    ];
    for (field, extra, key) in &cases {
        let mut fields = base.clone();
        if let Some(extra) = extra.as_object() {
            fields.as_object_mut().unwrap().extend(extra.clone());
        }
        if let Some(key) = key {
            fields["key"] = key.clone();
        }
        let messages = failures(&ga, fields).await;
        assert_eq!(
            messages,
            [format!("{field} is read-only and may not be specified")]
        );
    }
    assert!(ga.ids("").await.is_empty(), "nothing was created");

    // A record read back and sent as an update is refused for its read-only fields.
    let id = ga.import("example.com", "s1", &pem.pkcs1).await;
    let record = ga.get(id).await.ok()["dkim_key"].take();
    let messages = ga.update(id, record).await.validation_failed();
    assert_has(&messages, "id is read-only and may not be specified");
    assert_has(
        &messages,
        "key.public is read-only and may not be specified",
    );
    assert_has(&messages, "dns is read-only and may not be specified");
    assert_has(&messages, "stage is read-only and may not be specified");
    assert_has(
        &messages,
        "safe_to_remove is read-only and may not be specified",
    );
}

#[tokio::test]
async fn bits_may_not_change_on_an_existing_key() {
    let app = spawn_full_range().await;
    let ga = app.greenarrow();
    let pems = keys().await;
    let id = ga.import("example.com", "s1", &pems[0].pkcs1).await;
    let messages = ga
        .update(id, json!({ "key": { "bits": 2048 } }))
        .await
        .validation_failed();
    assert_eq!(
        messages,
        ["key.bits may not be changed on existing keys (this key has 1024 bits)"]
    );
    // Repeating the current size is not a change.
    let record = ga.update(id, json!({ "key": { "bits": 1024 } })).await.ok();
    assert_eq!(record["dkim_key"]["key"]["bits"], 1024);
    // A new private key brings its own size; bits, if sent, must match it.
    let small = small_key().await;
    let messages = ga
        .update(
            id,
            json!({ "key": { "bits": 1024, "private": small.pkcs1 } }),
        )
        .await
        .validation_failed();
    assert_eq!(
        messages,
        ["key.bits must equal the size of key.private (512 bits), or be left out"]
    );
    let record = ga
        .update(
            id,
            json!({ "key": { "bits": 512, "private": small.pkcs1 } }),
        )
        .await
        .ok();
    assert_eq!(record["dkim_key"]["key"]["bits"], 512);
    assert_eq!(record["dkim_key"]["key"]["public"], small.public);
}

#[tokio::test]
async fn bits_beside_a_private_key_must_match_it_on_create() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let pem = &keys().await[0];
    let messages = failures(
        &ga,
        json!({ "domain": "example.com", "selector": "s1", "key": { "bits": 2048, "private": pem.pkcs1 } }),
    )
    .await;
    assert_eq!(
        messages,
        ["key.bits must equal the size of key.private (1024 bits), or be left out"]
    );
    let record = ga
        .create_ok(json!({ "domain": "example.com", "selector": "s1", "key": { "bits": 1024, "private": pem.pkcs1 } }))
        .await;
    assert_eq!(record["key"]["public"], pem.public, "the imported key wins");
}

#[tokio::test]
async fn a_failed_update_changes_nothing() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let pems = keys().await;
    let id = ga.import("example.com", "s1", &pems[0].pkcs1).await;
    let before = ga.get(id).await.ok();
    let messages = ga
        .update(
            id,
            json!({ "domain": "moved.example.com", "selector": "bad selector", "default_for_domain": true, "key": { "private": pems[1].pkcs1 } }),
        )
        .await
        .validation_failed();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].starts_with("selector must be"), "{messages:?}");
    for (field, value) in [("domain", json!("")), ("selector", json!(""))] {
        let messages = ga
            .update(id, json!({ field: value }))
            .await
            .validation_failed();
        assert_eq!(
            messages,
            [format!(
                "{field} must be from 1 to 200 characters in length"
            )]
        );
    }
    assert_eq!(ga.get(id).await.ok(), before);
}
