//! Every request example of GreenArrow's DKIM Keys page, replayed in order.
//! The page's toy keys are below 512 bits, so those imports must fail; each
//! is then replayed with a valid key and must answer in the page's shape.

use reqwest::Method;
use serde_json::{json, Value};
use signet_tests::dialect::greenarrow::{assert_record_shape, keys_of, KEYS};
use signet_tests::dialect::send;
use signet_tests::fixtures::{keys, TOY_KEY_1, TOY_KEY_2};
use signet_tests::{spawn_app, spawn_app_exporting_keys, TestApp};

#[tokio::test]
async fn the_pages_examples_replay_with_private_keys_exported() {
    let app = spawn_app_exporting_keys().await;
    replay(&app, true).await;
}

#[tokio::test]
async fn the_pages_examples_replay_without_private_keys() {
    let app = spawn_app().await;
    replay(&app, false).await;
}

/// The page's keys, in its list example's order: (domain, selector, default).
const LISTED: [(&str, &str, bool); 3] = [
    ("my-domain.com", "default", false),
    ("domain.com", "default", false),
    ("domain-3.com", "default", true),
];

/// Asserts `answer` is `{"dkim_key": ...}` holding key `id` of my-domain.com
/// in the page's shape: 1024 bits, not the default, with this public key.
#[track_caller]
fn assert_my_domain_key(answer: &Value, private: bool, id: i64, selector: &str, public: &str) {
    assert_eq!(keys_of(answer), ["dkim_key"]);
    let record = &answer["dkim_key"];
    assert_record_shape(record, private);
    assert_eq!(record["id"], id);
    assert_eq!(record["domain"], "my-domain.com");
    assert_eq!(record["selector"], selector);
    assert_eq!(record["default_for_domain"], false);
    assert_eq!(record["key"]["bits"], 1024);
    assert_eq!(record["key"]["public"], public);
    assert_eq!(
        record["dns"]["public_key"]["name"],
        format!("{selector}._domainkey.my-domain.com")
    );
}

async fn replay(app: &TestApp, private: bool) {
    let ga = app.greenarrow();
    let pems = keys().await;

    // The keys behind "Get a List": first as the toy keys, which must fail.
    for (domain, selector, default) in LISTED {
        let toy = json!({
            "domain": domain, "selector": selector, "default_for_domain": default,
            "key": { "private": TOY_KEY_1 }
        });
        let messages = ga.create(toy).await.validation_failed();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].starts_with("key.private must be a valid private key"),
            "{messages:?}"
        );
    }
    assert_eq!(
        ga.ids("").await,
        Vec::<i64>::new(),
        "a failed import wrote nothing"
    );
    for ((domain, selector, default), pem) in LISTED.into_iter().zip(pems) {
        ga.create_ok(json!({
            "domain": domain, "selector": selector, "default_for_domain": default,
            "key": { "private": pem.pkcs1 }
        }))
        .await;
    }

    // GET /ga/api/v3/eng/dkim_keys
    let list = send(ga.request(Method::GET, KEYS)).await.ok();
    assert_eq!(keys_of(&list), ["dkim_keys", "pagination"]);
    let expected: Vec<Value> = LISTED
        .iter()
        .enumerate()
        .map(|(i, (domain, selector, default))| {
            json!({
                "id": i + 1, "domain": domain, "selector": selector,
                "default_for_domain": default, "key_bits": 1024,
                // Signet's extensions.
                "key_algorithm": "rsa", "stage": "active", "safe_to_remove": false
            })
        })
        .collect();
    assert_eq!(list["dkim_keys"], Value::Array(expected));
    assert_eq!(
        list["pagination"],
        json!({ "page": 0, "per_page": 100, "num_pages": 1, "num_records": 3, "next_page_token": null })
    );

    // GET /ga/api/v3/eng/dkim_keys/1
    let one = ga.get(1).await.ok();
    assert_my_domain_key(&one, private, 1, "default", &pems[0].public);
    if private {
        assert_eq!(one["dkim_key"]["key"]["private"], pems[0].pkcs1);
    }

    // POST /ga/api/v3/eng/dkim_keys, verbatim: the toy key is refused.
    let example = json!({
        "domain": "my-domain.com",
        "selector": "second",
        "default_for_domain": false,
        "key": { "private": TOY_KEY_2 }
    });
    let messages = ga.create(example.clone()).await.validation_failed();
    assert!(
        messages[0].starts_with("key.private must be a valid private key"),
        "{messages:?}"
    );
    // ... and accepted with a valid key.
    let mut valid = example;
    valid["key"]["private"] = json!(pems[1].pkcs1);
    let created = ga.create(valid).await.ok();
    assert_my_domain_key(&created, private, 4, "second", &pems[1].public);

    // PUT /ga/api/v3/eng/dkim_keys/1
    let updated = ga
        .update(1, json!({ "domain": "new-domain.com" }))
        .await
        .ok();
    let record = &updated["dkim_key"];
    assert_record_shape(record, private);
    assert_eq!(record["id"], 1);
    assert_eq!(record["domain"], "new-domain.com");
    assert_eq!(record["selector"], "default");
    assert_eq!(record["default_for_domain"], false);
    assert_eq!(
        record["key"]["public"], pems[0].public,
        "the key material is kept"
    );
    assert_eq!(
        record["dns"]["public_key"]["name"],
        "default._domainkey.new-domain.com"
    );

    // DELETE /ga/api/v3/eng/dkim_keys/2
    let deleted = ga.delete(2).await.ok();
    assert_eq!(deleted, json!({}));
    ga.get(2).await.error(404, "not_found");
    assert_eq!(ga.ids("").await, [1, 3, 4]);
}
