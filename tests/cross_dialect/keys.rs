//! Keys made, renamed and deleted in one dialect, seen in the other.

use serde_json::json;
use signet_tests::dialect::greenarrow::{id_of, GreenArrow};
use signet_tests::fixtures::keys;
use signet_tests::spawn_app;

const SELECTOR_TAKEN: &str = "selector must be unique (case-insensitive) among all DKIM Keys with the same (case-insensitive) domain";

/// The GreenArrow list's items for `domain`.
async fn listed(ga: &GreenArrow<'_>, domain: &str) -> Vec<serde_json::Value> {
    ga.list(&format!("domain={domain}&per_page=2000"))
        .await
        .ok()["dkim_keys"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_key_created_through_mailgun_is_listed_by_greenarrow_with_its_id() {
    let app = spawn_app().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    let created = mg.create_key("example.com", "mg1").await;
    assert_eq!(created.status, 200, "{}", created.body);
    let value = created.body["dns_record"]["value"]
        .as_str()
        .unwrap()
        .to_owned();

    let items = listed(&ga, "example.com").await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["selector"], "mg1");
    assert_eq!(item["key_bits"], 1024);
    assert_eq!(
        item["default_for_domain"], true,
        "a domain's first Mailgun key is its default"
    );
    let record = ga.get(id_of(item)).await.ok()["dkim_key"].take();
    assert_eq!(record["dns"]["public_key"]["value"], value);
    assert_eq!(
        record["dns"]["public_key"]["name"],
        "mg1._domainkey.example.com"
    );
}

#[tokio::test]
async fn a_selector_renamed_through_greenarrow_is_renamed_in_mailgun() {
    let app = spawn_app().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    assert_eq!(mg.create_key("example.com", "old").await.status, 200);
    let id = id_of(&listed(&ga, "example.com").await[0]);
    let renamed = ga.update(id, json!({ "selector": "Renamed" })).await.ok();
    let selectors = mg.listed_selectors("example.com").await;
    assert_eq!(selectors, ["Renamed"]);
    let (_, record) = &mg.keys_of("example.com").await[0];
    assert_eq!(record["name"], "Renamed._domainkey.example.com");
    assert_eq!(
        record["value"],
        renamed["dkim_key"]["dns"]["public_key"]["value"]
    );
}

#[tokio::test]
async fn a_key_deleted_in_greenarrow_is_gone_from_mailgun() {
    let app = spawn_app().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    assert_eq!(mg.create_key("example.com", "mg1").await.status, 200);
    assert_eq!(mg.create_key("example.com", "mg2").await.status, 200);
    let first = listed(&ga, "example.com").await[0].clone();
    assert_eq!(first["selector"], "mg1");
    ga.delete(id_of(&first)).await.ok();
    let selectors = mg.listed_selectors("example.com").await;
    assert_eq!(selectors, ["mg2"]);
    let again = mg.delete_key("example.com", "mg1").await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert_eq!(again.body["message"], "domain key not found");
}

#[tokio::test]
async fn a_key_deleted_in_mailgun_is_gone_from_greenarrow() {
    let app = spawn_app().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    let pems = keys().await;
    // Keys made through GreenArrow are active; two, so Mailgun may delete one.
    let doomed = ga.import("example.com", "ga1", &pems[0].pkcs1).await;
    let kept = ga.import("example.com", "ga2", &pems[1].pkcs1).await;
    let deleted = mg.delete_key("example.com", "ga1").await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body, json!({ "message": "success" }));
    ga.get(doomed).await.error(404, "not_found");
    assert_eq!(ga.ids("").await, [kept]);
    // The last active key of the domain is protected in Mailgun, not in GreenArrow.
    let refused = mg.delete_key("example.com", "ga2").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    ga.delete(kept).await.ok();
    assert!(mg.keys_of("example.com").await.is_empty());
}

#[tokio::test]
async fn a_selector_is_unique_across_dialects() {
    let app = spawn_app().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    let pem = &keys().await[0].pkcs1;

    assert_eq!(mg.create_key("example.com", "shared").await.status, 200);
    let messages = ga
        .create(json!({ "domain": "EXAMPLE.com", "selector": "SHARED", "key": { "private": pem } }))
        .await
        .validation_failed();
    assert_eq!(messages, [SELECTOR_TAKEN]);

    ga.import("example.com", "from-ga", pem).await;
    let duplicate = mg.create_key("example.com", "From-GA").await;
    assert_eq!(duplicate.status, 400, "{}", duplicate.body);
    let message = duplicate.body["message"].as_str().unwrap();
    assert!(message.contains("duplicate"), "{message}");

    assert_eq!(listed(&ga, "example.com").await.len(), 2);
    assert_eq!(mg.keys_of("example.com").await.len(), 2);
}
