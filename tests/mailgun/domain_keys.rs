//! `/v4/domains/{authority}/keys`: an authority's keys, activation against
//! real DNS answers, deactivation.

use reqwest::Method;
use serde_json::json;
use signet_tests::dialect::mailgun::{items, publish, split};
use signet_tests::dialect::send;
use signet_tests::fixtures::keys;
use signet_tests::spawn_app;

#[tokio::test]
async fn an_authoritys_keys_are_listed_whole_without_paging() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, b, _] = keys().await;
    let s1 = mg
        .import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    mg.import_key("example.com", "s2", &b.pkcs1)
        .await
        .expect(200);
    mg.import_key("other.example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    publish(&app, &s1["dns_record"]);
    mg.key_action("example.com", "s1", "activate")
        .await
        .expect(200);

    let body = send(mg.request(Method::GET, "/v4/domains/Example.com/keys"))
        .await
        .expect(200);
    assert_eq!(body.as_object().unwrap().len(), 1, "only items: {body}");
    let keys = items(&body);
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["selector"], "s1");
    assert_eq!(keys[0]["signing_domain"], "example.com");
    assert_eq!(keys[0]["dns_record"]["is_active"], true);
    assert_eq!(keys[0]["dns_record"]["valid"], "valid");
    assert_eq!(keys[0]["dns_record"]["cached"], json!([a.record]));
    assert_eq!(keys[1]["selector"], "s2");
    assert_eq!(keys[1]["dns_record"]["is_active"], false);
    assert_eq!(keys[1]["dns_record"]["valid"], "unknown");

    let none = send(mg.request(Method::GET, "/v4/domains/nothing.example/keys"))
        .await
        .expect(200);
    assert_eq!(none, json!({"items": []}));
    send(mg.request(Method::GET, "/v4/domains/not_a_domain/keys"))
        .await
        .expect_error_containing(400, "authority_name must be a domain name");
}

#[tokio::test]
async fn activation_needs_the_record_published_and_says_what_dns_shows() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, b, _] = keys().await;
    let created = mg
        .import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    let name = "s1._domainkey.example.com";

    mg.key_action("example.com", "s1", "activate")
        .await
        .expect_error(
            400,
            &format!("DNS record {name} is not valid: no TXT record found"),
        );

    app.dns.set_txt(name, vec![split(&b.record)]);
    mg.key_action("example.com", "s1", "activate")
        .await
        .expect_error(
            400,
            &format!("DNS record {name} is not valid: found \"{}\"", b.record),
        );

    publish(&app, &created["dns_record"]);
    let body = mg
        .key_action("example.com", "S1", "activate")
        .await
        .expect(200);
    assert_eq!(
        body,
        json!({
            "message": "domain key activated",
            "authority": "example.com",
            "selector": "s1",
            "active": true
        })
    );
    let listed = mg
        .list_keys(&[("signing_domain", "example.com")])
        .await
        .expect(200);
    let record = &items(&listed)[0]["dns_record"];
    assert_eq!(record["is_active"], true);
    assert_eq!(record["valid"], "valid");
    assert_eq!(record["cached"], json!([a.record]));
}

#[tokio::test]
async fn activation_during_a_dns_outage_says_so_and_changes_nothing() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, _, _] = keys().await;
    mg.import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    let name = "s1._domainkey.example.com";
    app.dns.set_timeout(name);

    mg.key_action("example.com", "s1", "activate")
        .await
        .expect_error(
            400,
            &format!("DNS record {name} could not be looked up; try again later"),
        );
    let listed = mg
        .list_keys(&[("signing_domain", "example.com")])
        .await
        .expect(200);
    let record = &items(&listed)[0]["dns_record"];
    assert_eq!(record["is_active"], false);
    assert_eq!(record["valid"], "unknown");
}

#[tokio::test]
async fn one_matching_record_among_several_is_enough() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, b, _] = keys().await;
    mg.import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    app.dns.set_txt(
        "s1._domainkey.example.com",
        vec![split(&b.record), split(&a.record)],
    );
    mg.key_action("example.com", "s1", "activate")
        .await
        .expect(200);
}

#[tokio::test]
async fn a_deactivated_key_stops_signing() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, _, _] = keys().await;
    mg.import_active("example.com", "s1", &a.pkcs1).await;

    let body = mg
        .key_action("example.com", "s1", "deactivate")
        .await
        .expect(200);
    assert_eq!(
        body,
        json!({
            "message": "domain key deactivated",
            "authority": "example.com",
            "selector": "s1",
            "active": false
        })
    );
    let listed = mg.list_keys(&[]).await.expect(200);
    assert_eq!(items(&listed)[0]["dns_record"]["is_active"], false);
    // Deactivating again changes nothing and still succeeds.
    mg.key_action("example.com", "s1", "deactivate")
        .await
        .expect(200);
}

#[tokio::test]
async fn activation_accepts_the_bodies_mailguns_sdks_send() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, _, _] = keys().await;
    let created = mg
        .import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    publish(&app, &created["dns_record"]);
    let path = "/v4/domains/example.com/keys/s1/activate";
    // mailgun.js: `{}` serialized as JSON.
    let json_body = mg.request(Method::PUT, path).json(&json!({}));
    send(json_body).await.expect(200);
    // mailgun-go: an empty urlencoded form.
    let empty_form = mg
        .request(Method::PUT, "/v4/domains/example.com/keys/s1/deactivate")
        .form(&[("", ""); 0]);
    send(empty_form).await.expect(200);
}

#[tokio::test]
async fn unknown_keys_and_bad_names_are_refused() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for action in ["activate", "deactivate"] {
        mg.key_action("example.com", "nope", action)
            .await
            .expect_error(404, "domain key not found");
        mg.key_action("bad..domain", "s1", action)
            .await
            .expect_error_containing(400, "authority_name must be a domain name");
        mg.key_action("example.com", "bad%20selector", action)
            .await
            .expect_error_containing(400, "selector must be dot-separated strings");
    }
}
