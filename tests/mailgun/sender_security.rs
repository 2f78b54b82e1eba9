//! Mailgun's Automatic Sender Security: `use_automatic_sender_security` on
//! `POST /v4/domains` and `/v3/domains`, the CNAME entries of
//! `sending_dns_records` into Signet's zone, their check through the
//! resolver, and the CNAMEs of a rotation's `records`.

use reqwest::Method;
use serde_json::{json, Value};
use signet_domain::DomainName;
use signet_tests::dialect::mailgun::{publish, Via};
use signet_tests::dialect::send;
use signet_tests::{backends, spawn_app, spawn_app_with, AppOptions, Backend, TestApp};

/// The zone the apps of these tests answer for.
const ZONE: &str = "dkim.signet.test";

fn with_zone(settings: &mut signet_api::Settings) {
    settings.dns_zone.zone = Some(DomainName::parse(ZONE).unwrap());
}

async fn spawn_with_zone(backend: Backend) -> TestApp {
    spawn_app_with(AppOptions {
        backend,
        configure: Some(with_zone),
        ..AppOptions::default()
    })
    .await
}

/// `POST path` registering `name` with Automatic Sender Security, as `key`.
async fn register(app: &TestApp, key: &str, path: &str, name: &str, via: Via) -> Value {
    let params = [
        ("name", name),
        ("dkim_key_size", "1024"),
        ("use_automatic_sender_security", "true"),
    ];
    app.mailgun_as(key)
        .call(Method::POST, path, via, &params)
        .await
        .expect(200)
}

/// The label of a CNAME target `<selector>._domainkey.<label>.<zone>`.
fn label_of(target: &str) -> String {
    let rest = target
        .split_once("._domainkey.")
        .expect("a _domainkey target")
        .1;
    let label = rest
        .strip_suffix(&format!(".{ZONE}"))
        .expect("a target in the zone");
    assert_eq!(label.len(), 16, "{target}");
    assert!(
        label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
        "{target}"
    );
    label.to_owned()
}

/// The two CNAME entries of `sending_dns_records`, checked against
/// Mailgun's field set; returns the label and the entries.
fn cnames(body: &Value, domain: &str) -> (String, Vec<Value>) {
    let records = body["sending_dns_records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 2, "{body}");
    let label = label_of(records[0]["value"].as_str().unwrap());
    for (record, selector) in records.iter().zip(["pdk1", "pdk2"]) {
        let fields: Vec<&String> = record.as_object().unwrap().keys().collect();
        assert_eq!(
            fields,
            [
                "cached",
                "is_active",
                "name",
                "record_type",
                "valid",
                "value"
            ],
            "{record}"
        );
        assert_eq!(record["record_type"], "CNAME");
        assert_eq!(record["name"], format!("{selector}._domainkey.{domain}"));
        assert_eq!(
            record["value"],
            format!("{selector}._domainkey.{label}.{ZONE}")
        );
        assert_eq!(record["cached"], json!([]));
    }
    (label, records)
}

#[tokio::test]
async fn a_domain_with_automatic_sender_security_publishes_cnames_into_signets_zone() {
    for backend in backends() {
        let app = spawn_with_zone(backend).await;
        for (path, name, via) in [
            ("/v4/domains", "example.com", Via::Multipart),
            ("/v3/domains", "example.org", Via::UrlEncoded),
        ] {
            let created = register(&app, &app.api_key, path, name, via).await;
            assert_eq!(created["domain"]["use_automatic_sender_security"], true);
            let (label, records) = cnames(&created, name);
            assert_eq!(
                (records[0]["valid"].clone(), records[0]["is_active"].clone()),
                (json!("unknown"), json!(false))
            );
            assert_eq!(records[1]["valid"], "unknown");

            // The first key holds pdk1; the domain is its own authority.
            let mg = app.mailgun();
            assert_eq!(mg.listed_selectors(name).await, ["pdk1"]);
            let shown = mg.domain(name).await.expect(200);
            assert_eq!(shown["domain"]["use_automatic_sender_security"], true);
            assert_eq!(cnames(&shown, name).0, label);
            let v3 = send(mg.request(Method::GET, &format!("/v3/domains/{name}"))).await;
            assert_eq!(cnames(&v3.expect(200), name).0, label);
        }

        // A domain without it is as it always was: one TXT record.
        let plain = app
            .mailgun()
            .create_domain("plain.example", "mx")
            .await
            .expect(200);
        assert_eq!(plain["domain"]["use_automatic_sender_security"], false);
        let records = plain["sending_dns_records"].as_array().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["record_type"], "TXT");
        assert!(records[0]["strings"].is_array());
    }
}

#[tokio::test]
async fn two_tenants_registering_the_same_domain_get_different_targets() {
    let app = spawn_with_zone(Backend::Sqlite).await;
    let other = app.new_tenant("other").await;
    let mine = register(
        &app,
        &app.api_key,
        "/v4/domains",
        "example.com",
        Via::Multipart,
    )
    .await;
    let theirs = register(&app, &other, "/v4/domains", "example.com", Via::Multipart).await;
    let (a, _) = cnames(&mine, "example.com");
    let (b, _) = cnames(&theirs, "example.com");
    assert_ne!(a, b);
}

#[tokio::test]
async fn without_a_zone_or_with_a_selector_automatic_sender_security_is_refused() {
    let app = spawn_app().await;
    let params = [
        ("name", "example.com"),
        ("use_automatic_sender_security", "yes"),
    ];
    app.mailgun()
        .call(Method::POST, "/v4/domains", Via::Multipart, &params)
        .await
        .expect_error(
            400,
            "Automatic Sender Security needs a DNS zone, and this Signet serves none (SIGNET_DNS_ZONE is not set)",
        );
    // Nothing was registered.
    app.mailgun().domain("example.com").await.expect(404);

    let app = spawn_with_zone(Backend::Sqlite).await;
    let params = [
        ("name", "example.com"),
        ("dkim_selector", "s1"),
        ("use_automatic_sender_security", "true"),
    ];
    app.mailgun()
        .call(Method::POST, "/v4/domains", Via::UrlEncoded, &params)
        .await
        .expect_error(
            400,
            "dkim_selector cannot be set with use_automatic_sender_security: its selectors are pdk1 and pdk2",
        );
    let params = [
        ("name", "example.com"),
        ("use_automatic_sender_security", "sometimes"),
    ];
    app.mailgun()
        .call(Method::POST, "/v4/domains", Via::UrlEncoded, &params)
        .await
        .expect_error(
            400,
            "use_automatic_sender_security must be a boolean: true or false, yes or no, 1 or 0",
        );
}

#[tokio::test]
async fn verify_finds_a_cname_valid_once_the_resolver_reaches_the_keys_record() {
    let app = spawn_with_zone(Backend::Sqlite).await;
    register(
        &app,
        &app.api_key,
        "/v4/domains",
        "example.com",
        Via::Multipart,
    )
    .await;
    let mg = app.mailgun();
    let verify = || send(mg.request(Method::PUT, "/v4/domains/example.com/verify"));
    let before = verify().await.expect(200);
    let (_, records) = cnames(&before, "example.com");
    assert_eq!(records[0]["valid"], "invalid");

    // What the resolver answers at pdk1._domainkey.example.com once it has
    // followed the tenant's CNAME to Signet's TXT record.
    let (_, txt) = mg.keys_of("example.com").await.remove(0);
    publish(&app, &txt);
    let after = verify().await.expect(200);
    assert_eq!(after["message"], "Domain DNS records have been updated");
    let (_, records) = cnames(&after, "example.com");
    assert_eq!(records[0]["valid"], "valid");
    assert_eq!(records[1]["valid"], "unknown", "no key holds pdk2 yet");
    assert_eq!(after["domain"]["state"], "active");
}

#[tokio::test]
async fn a_delegated_domains_rotation_records_are_its_cnames() {
    let app = spawn_with_zone(Backend::Sqlite).await;
    let created = register(
        &app,
        &app.api_key,
        "/v4/domains",
        "example.com",
        Via::Multipart,
    )
    .await;
    let (label, _) = cnames(&created, "example.com");
    let path = "/v1/dkim_management/domains/example.com/rotation";
    let answer = send(app.mailgun().request(Method::GET, path)).await;
    let body = answer.expect(200);
    let records = body["domain"]["records"].clone();
    let expected: Vec<Value> = ["pdk1", "pdk2"]
        .iter()
        .map(|s| {
            json!({
                "name": format!("{s}._domainkey.example.com"),
                "type": "CNAME",
                "identifier": "DKIM",
                "value": format!("{s}._domainkey.{label}.{ZONE}"),
                "comment": "Customer DKIM CNAME Record",
            })
        })
        .collect();
    assert_eq!(records, json!(expected));
    assert_eq!(body["domain"]["active_selector"], "pdk1");

    // Its selectors are fixed, and it stays its own authority.
    let selector = [("dkim_selector", "s2")];
    app.mailgun()
        .call(
            Method::PUT,
            "/v3/domains/example.com/dkim_selector",
            Via::UrlEncoded,
            &selector,
        )
        .await
        .expect_error_containing(400, "pdk1 and pdk2");
    register(
        &app,
        &app.api_key,
        "/v4/domains",
        "mail.example.com",
        Via::Multipart,
    )
    .await;
    app.mailgun()
        .call(
            Method::PUT,
            "/v3/domains/mail.example.com/dkim_authority",
            Via::UrlEncoded,
            &[("self", "false")],
        )
        .await
        .expect_error(
            400,
            "a domain with Automatic Sender Security is its own DKIM authority",
        );
}
