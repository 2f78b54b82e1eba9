//! GreenArrow's `default_for_domain` is the key a Mailgun domain signs with.

use serde_json::{json, Value};
use signet_tests::dialect::greenarrow::id_of;
use signet_tests::fixtures::keys;
use signet_tests::spawn_app;

/// The record Mailgun should list for a domain signing with GreenArrow `key`.
fn signing_record(selector: &str, key: &Value) -> (String, String) {
    let value = key["dns"]["public_key"]["value"].as_str().unwrap();
    (
        format!("{selector}._domainkey.example.com"),
        value.to_owned(),
    )
}

#[tokio::test]
async fn the_default_set_through_greenarrow_is_the_domains_signing_key_in_mailgun() {
    let app = spawn_app().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    let registered = mg.create_domain("example.com", "first").await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    let records = mg.domain_dkim_records("example.com").await;
    let names: Vec<&str> = records.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["first._domainkey.example.com"]);

    // A second key that is not the default changes nothing.
    let pems = keys().await;
    let second = ga
        .create_ok(json!({
            "domain": "example.com", "selector": "second", "default_for_domain": false,
            "key": { "private": pems[0].pkcs1 }
        }))
        .await;
    let names: Vec<String> = mg
        .domain_dkim_records("example.com")
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["first._domainkey.example.com"]);

    // Made the default through GreenArrow, it signs the domain's mail.
    ga.update(id_of(&second), json!({ "default_for_domain": true }))
        .await
        .ok();
    let records = mg.domain_dkim_records("example.com").await;
    assert_eq!(records, [signing_record("second", &second)]);

    // A new key created as the default takes over at once.
    let third = ga
        .create_ok(json!({
            "domain": "example.com", "selector": "third", "default_for_domain": true,
            "key": { "private": pems[1].pkcs1 }
        }))
        .await;
    let records = mg.domain_dkim_records("example.com").await;
    assert_eq!(records, [signing_record("third", &third)]);
}
