//! What a tenant may see: its private keys only when its policy exports
//! them, and never anything of another tenant.

use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::EncodePublicKey as _;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use signet_domain::{Origin, TenantSettings};
use signet_tests::dialect::greenarrow::{assert_record_shape, id_of, GreenArrow};
use signet_tests::dialect::Reply;
use signet_tests::fixtures::keys;
use signet_tests::{spawn_app, spawn_app_exporting_keys};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Every key-bearing answer for a fresh key: create, get, update.
async fn answers(ga: &GreenArrow<'_>, pem: &str) -> Vec<Reply> {
    let created = ga
        .create(json!({ "domain": "example.com", "selector": "s1", "key": { "private": pem } }))
        .await;
    let id = created.body["data"]["dkim_key"]["id"]
        .as_i64()
        .expect("created");
    let read = ga.get(id).await;
    let updated = ga.update(id, json!({ "selector": "s2" })).await;
    vec![created, read, updated]
}

#[tokio::test]
async fn private_keys_are_omitted_when_export_is_off() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let generated = ga
        .create(json!({ "domain": "example.com", "selector": "gen", "key": { "bits": 1024 } }))
        .await;
    for reply in answers(&ga, &keys().await[0].pkcs8)
        .await
        .into_iter()
        .chain([generated])
    {
        assert!(!reply.text.contains("PRIVATE KEY"), "{}", reply.text);
        assert!(!reply.text.contains("\"private\""), "{}", reply.text);
        assert_record_shape(&reply.ok()["dkim_key"], false);
    }
}

#[tokio::test]
async fn private_keys_are_shown_as_pkcs1_when_export_is_on() {
    let app = spawn_app_exporting_keys().await;
    let ga = app.greenarrow();
    let pem = &keys().await[0];
    for reply in answers(&ga, &pem.pkcs8).await {
        let record = reply.ok()["dkim_key"].take();
        assert_record_shape(&record, true);
        let private = record["key"]["private"].as_str().unwrap();
        assert_eq!(private, pem.pkcs1, "PKCS#8 in, PKCS#1 out");
        assert_eq!(public_of(private), pem.public);
    }
    let generated = ga
        .create_ok(json!({ "domain": "example.com", "selector": "gen", "key": { "bits": 1024 } }))
        .await;
    let private = generated["key"]["private"]
        .as_str()
        .expect("a generated key is shown");
    assert_eq!(public_of(private), generated["key"]["public"]);
}

#[tokio::test]
async fn the_policy_applies_from_the_next_request() {
    let app = spawn_app().await;
    let ga = app.greenarrow();
    let id = ga.import("example.com", "s1", &keys().await[0].pkcs1).await;
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let on = TenantSettings {
        private_key_export: true,
        ..TenantSettings::default()
    };
    let tenant = app
        .admin
        .update_tenant_settings(&tenant, &Origin::cli(), on)
        .await
        .unwrap();
    assert_record_shape(&ga.get(id).await.ok()["dkim_key"], true);
    app.admin
        .update_tenant_settings(&tenant, &Origin::cli(), TenantSettings::default())
        .await
        .unwrap();
    assert_record_shape(&ga.get(id).await.ok()["dkim_key"], false);
}

fn public_of(pkcs1: &str) -> String {
    let key = RsaPrivateKey::from_pkcs1_pem(pkcs1).expect("a PKCS#1 PEM");
    let der = key.to_public_key().to_public_key_der().unwrap();
    STANDARD.encode(der.as_bytes())
}

#[tokio::test]
async fn a_tenant_never_sees_or_touches_another_tenants_keys() {
    let app = spawn_app().await;
    let alice = app.greenarrow();
    let bob_key = app.new_tenant("bob").await;
    let bob = app.greenarrow_as(&bob_key);
    let pems = keys().await;

    let a1 = alice.import("example.com", "s1", &pems[0].pkcs1).await;
    let a2 = alice.import("example.com", "s2", &pems[0].pkcs1).await;
    // Same name in another tenant is no conflict, and ids start again.
    let b1 = bob.import("example.com", "s1", &pems[1].pkcs1).await;
    assert_eq!((a1, a2, b1), (1, 2, 1));

    let bobs_list = bob.list("").await.ok();
    assert_eq!(bobs_list["pagination"]["num_records"], 1);
    assert_eq!(bob.ids("").await, [b1]);
    assert!(
        bob.list("domain=example.com").await.ok()["dkim_keys"]
            .as_array()
            .unwrap()
            .len()
            == 1
    );

    // Alice's key 2 does not exist for Bob, whatever he tries.
    bob.get(a2).await.error(404, "not_found");
    bob.update(a2, json!({ "selector": "stolen" }))
        .await
        .error(404, "not_found");
    bob.delete(a2).await.error(404, "not_found");

    // Bob's key 1 is his own; changing it leaves Alice's key 1 alone.
    let bobs = bob
        .update(
            b1,
            json!({ "selector": "mine", "default_for_domain": true }),
        )
        .await
        .ok();
    assert_eq!(bobs["dkim_key"]["key"]["public"], pems[1].public);
    bob.delete(b1).await.ok();
    let alices: Value = alice.get(a1).await.ok();
    assert_eq!(alices["dkim_key"]["selector"], "s1");
    assert_eq!(alices["dkim_key"]["default_for_domain"], false);
    assert_eq!(alices["dkim_key"]["key"]["public"], pems[0].public);
    assert_eq!(alice.ids("").await, [a1, a2]);
    assert_eq!(id_of(&alice.get(a2).await.ok()["dkim_key"]), a2);
}
