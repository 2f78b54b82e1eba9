//! The five endpoints' happy paths and their not-found answers.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPublicKey;
use serde_json::json;
use signet_tests::dialect::greenarrow::{
    assert_record_shape, id_of, keys_of, spawn_full_range, GreenArrow, KEYS,
};
use signet_tests::dialect::send;
use signet_tests::fixtures::{keys, small_key};
use signet_tests::spawn_app;

#[tokio::test]
async fn a_key_generated_from_bits_is_a_real_rsa_key_of_that_size() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let record = ga
        .create_ok(
            json!({ "domain": "My-Domain.COM", "selector": "Gen1", "key": { "bits": 1024 } }),
        )
        .await;
    assert_record_shape(&record, false);
    assert_eq!(record["domain"], "my-domain.com");
    assert_eq!(record["selector"], "Gen1");
    assert_eq!(record["default_for_domain"], false);
    assert_eq!(record["key"]["bits"], 1024);
    assert_eq!(
        record["dns"]["public_key"]["name"],
        "Gen1._domainkey.my-domain.com"
    );
    let der = STANDARD
        .decode(record["key"]["public"].as_str().unwrap())
        .expect("key.public is base64");
    let public = RsaPublicKey::from_public_key_der(&der).expect("key.public is an RSA SPKI");
    assert_eq!(public.size() * 8, 1024);
}

#[tokio::test]
async fn a_key_imports_from_pkcs1_or_pkcs8_and_reports_its_size() {
    let app = spawn_full_range().await;
    let ga = app.greenarrow();
    let pems = keys().await;
    let small = small_key().await;
    for (selector, pem, public, bits) in [
        ("pkcs1", &pems[0].pkcs1, &pems[0].public, 1024),
        ("pkcs8", &pems[1].pkcs8, &pems[1].public, 1024),
        ("small", &small.pkcs1, &small.public, 512),
    ] {
        let record = ga
            .create_ok(
                json!({ "domain": "example.com", "selector": selector, "key": { "private": pem } }),
            )
            .await;
        assert_record_shape(&record, false);
        assert_eq!(record["key"]["bits"], bits, "{selector}");
        assert_eq!(&record["key"]["public"], public.as_str(), "{selector}");
    }
}

#[tokio::test]
async fn a_key_reads_back_as_it_was_created() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let created = ga
        .create_ok(json!({
            "domain": "example.com", "selector": "s1", "default_for_domain": true,
            "key": { "private": keys().await[0].pkcs1 }
        }))
        .await;
    let read = ga.get(id_of(&created)).await.ok();
    assert_eq!(keys_of(&read), ["dkim_key"]);
    assert_eq!(read["dkim_key"], created);
    assert_eq!(created["default_for_domain"], true);
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_not_found() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let id = ga.import("example.com", "s1", &keys().await[0].pkcs1).await;
    for missing in [id + 1, 0, -1] {
        let messages = ga.get(missing).await.error(404, "not_found");
        assert_eq!(messages, ["DKIM key not found"]);
        ga.update(missing, json!({ "selector": "x" }))
            .await
            .error(404, "not_found");
        ga.delete(missing).await.error(404, "not_found");
    }
    for path in ["abc", "1.5", "99999999999999999999999"] {
        let url = format!("{}/{path}", KEYS);
        let reply = send(ga.request(reqwest::Method::GET, &url)).await;
        reply.error(404, "not_found");
    }
}

#[tokio::test]
async fn an_update_changes_only_the_fields_given() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let pems = keys().await;
    let id = ga.import("example.com", "s1", &pems[0].pkcs1).await;

    let record = ga.update(id, json!({ "selector": "Renamed" })).await.ok()["dkim_key"].take();
    assert_record_shape(&record, false);
    assert_eq!(record["selector"], "Renamed");
    assert_eq!(record["domain"], "example.com");
    assert_eq!(record["key"]["public"], pems[0].public);
    assert_eq!(
        record["dns"]["public_key"]["name"],
        "Renamed._domainkey.example.com"
    );

    let record = ga
        .update(id, json!({ "domain": "Moved.example.COM" }))
        .await
        .ok()["dkim_key"]
        .take();
    assert_eq!(record["domain"], "moved.example.com");
    assert_eq!(record["selector"], "Renamed");

    let record = ga
        .update(id, json!({ "key": { "private": pems[1].pkcs8 } }))
        .await
        .ok()["dkim_key"]
        .take();
    assert_eq!(record["key"]["public"], pems[1].public);
    assert_eq!(record["key"]["bits"], 1024);

    let record = ga
        .update(id, json!({ "default_for_domain": true }))
        .await
        .ok()["dkim_key"]
        .take();
    assert_eq!(record["default_for_domain"], true);
    let record = ga.update(id, json!({})).await.ok()["dkim_key"].take();
    assert_eq!(
        record["default_for_domain"], true,
        "an empty update changes nothing"
    );
    assert_eq!(record["id"], id);
    assert_eq!(ga.get(id).await.ok()["dkim_key"], record);
}

#[tokio::test]
async fn a_deleted_key_is_gone() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let pems = keys().await;
    let first = ga.import("example.com", "s1", &pems[0].pkcs1).await;
    let second = ga.import("example.com", "s2", &pems[1].pkcs1).await;
    assert_eq!(ga.delete(first).await.ok(), json!({}));
    ga.get(first).await.error(404, "not_found");
    ga.delete(first).await.error(404, "not_found");
    assert_eq!(ga.ids("").await, [second]);
    // Its selector is free again.
    ga.import("example.com", "s1", &pems[2].pkcs1).await;
}

#[tokio::test]
async fn default_for_domain_is_held_by_at_most_one_key_of_a_domain() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let pem = &keys().await[0].pkcs1;
    let create = |domain: &str, selector: &str, default: bool| json!({ "domain": domain, "selector": selector, "default_for_domain": default, "key": { "private": pem } });
    let a = id_of(&ga.create_ok(create("example.com", "a", true)).await);
    let other = id_of(&ga.create_ok(create("other.com", "a", true)).await);
    let b = id_of(&ga.create_ok(create("EXAMPLE.com", "b", true)).await);
    let c = id_of(&ga.create_ok(create("example.com", "c", false)).await);
    assert_eq!(
        defaults(&ga, &[a, b, c, other]).await,
        [false, true, false, true]
    );
    let changes = [
        (
            json!({ "default_for_domain": true }),
            [false, false, true, true],
        ),
        // Moving the default key to another domain takes the flag there.
        (
            json!({ "domain": "other.com" }),
            [false, false, true, false],
        ),
        (
            json!({ "default_for_domain": false }),
            [false, false, false, false],
        ),
    ];
    for (change, expected) in changes {
        ga.update(c, change).await.ok();
        assert_eq!(defaults(&ga, &[a, b, c, other]).await, expected);
    }
}

/// The `default_for_domain` flags of these keys, as the list shows them.
async fn defaults(ga: &GreenArrow<'_>, ids: &[i64]) -> Vec<bool> {
    let list = ga.list("per_page=2000").await.ok();
    let items = list["dkim_keys"].as_array().unwrap();
    ids.iter()
        .map(|id| {
            let item = items.iter().find(|i| id_of(i) == *id).expect("listed");
            item["default_for_domain"].as_bool().unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_key_created_through_greenarrow_is_active() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let id = ga.import("example.com", "s1", &keys().await[0].pkcs1).await;
    let tenant = app
        .admin
        .tenant(&app.tenant)
        .await
        .expect("the app's tenant");
    let key = app
        .core
        .get_key(&tenant, signet_domain::KeyId(id))
        .await
        .expect("the key is stored");
    assert!(key.active);
}
