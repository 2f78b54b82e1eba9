//! One tenant never sees, changes or learns anything of another's keys and
//! domains through the Mailgun dialect.

use reqwest::Method;
use serde_json::json;
use signet_tests::dialect::mailgun::{items, publish, Via};
use signet_tests::dialect::send;
use signet_tests::fixtures::keys;
use signet_tests::spawn_app;

#[tokio::test]
async fn another_tenant_cannot_see_or_touch_a_tenants_keys() {
    let app = spawn_app().await;
    let alice = app.mailgun();
    let bob_key = app.new_tenant("bob").await;
    let bob = app.mailgun_as(&bob_key);
    let [a, b, _] = keys().await;
    let created = alice
        .import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    publish(&app, &created["dns_record"]);

    let listed = bob.list_keys(&[]).await.expect(200);
    assert!(items(&listed).is_empty());
    assert_eq!(listed["total_count"], 0);
    let of_authority = send(bob.request(Method::GET, "/v4/domains/example.com/keys"))
        .await
        .expect(200);
    assert_eq!(of_authority, json!({"items": []}));
    for action in ["activate", "deactivate"] {
        bob.key_action("example.com", "s1", action)
            .await
            .expect_error(404, "domain key not found");
    }
    bob.delete_key("example.com", "s1")
        .await
        .expect_error(404, "domain key not found");

    // Bob may have a key of the same name; each sees only their own.
    bob.import_key("example.com", "s1", &b.pkcs1)
        .await
        .expect(200);
    let alices = alice.list_keys(&[]).await.expect(200);
    assert_eq!(items(&alices).len(), 1);
    assert_eq!(items(&alices)[0]["dns_record"]["value"], a.record);
    assert_eq!(items(&alices)[0]["dns_record"]["is_active"], false);
    let bobs = bob.list_keys(&[]).await.expect(200);
    assert_eq!(items(&bobs)[0]["dns_record"]["value"], b.record);
}

#[tokio::test]
async fn another_tenant_cannot_see_or_touch_a_tenants_domains() {
    let app = spawn_app().await;
    let alice = app.mailgun();
    let bob_key = app.new_tenant("bob").await;
    let bob = app.mailgun_as(&bob_key);
    alice.create_domain("example.com", "s1").await.expect(200);

    bob.domain("example.com")
        .await
        .expect_error(404, "Domain not found");
    let listed = send(bob.request(Method::GET, "/v4/domains"))
        .await
        .expect(200);
    assert_eq!(listed, json!({"total_count": 0, "items": []}));
    for (verb, path, params) in [
        (Method::DELETE, "/v3/domains/example.com", &[][..]),
        (
            Method::PUT,
            "/v3/domains/example.com/dkim_authority",
            &[("self", "true")][..],
        ),
        (
            Method::PUT,
            "/v3/domains/example.com/dkim_selector",
            &[("dkim_selector", "x")][..],
        ),
        (Method::PUT, "/v4/domains/example.com/verify", &[][..]),
    ] {
        bob.call(verb, path, Via::UrlEncoded, params)
            .await
            .expect_error(404, "Domain not found");
    }

    // A subdomain of Bob's never delegates to Alice's root.
    let sub = bob
        .create_domain("mail.example.com", "own")
        .await
        .expect(200);
    assert_eq!(
        sub["sending_dns_records"][0]["name"],
        "own._domainkey.mail.example.com"
    );
    // And Bob may register the same name.
    bob.create_domain("example.com", "s9").await.expect(200);
    let alices = alice.domain("example.com").await.expect(200);
    assert_eq!(
        alices["sending_dns_records"][0]["name"],
        "s1._domainkey.example.com"
    );
    assert_ne!(
        alices["domain"]["id"],
        bob.domain("example.com").await.expect(200)["domain"]["id"]
    );
}
