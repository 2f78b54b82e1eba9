//! What the feed serves, to whom, and under which ETag.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use signet_domain::{AuditQuery, FleetName, Origin};
use signet_tests::fixtures::keys;
use signet_tests::{backends, spawn_app_on, spawn_app_with, AppOptions, Backend, TestApp};

use super::{create_fleet, poll, FEED};

/// Keys on a.example (two), b.example and c.example, all active, made
/// through GreenArrow from the shared fixtures.
async fn three_domains(app: &TestApp) {
    let pems = keys().await;
    let ga = app.greenarrow();
    ga.import("a.example", "s2", &pems[0].pkcs1).await;
    ga.import("a.example", "s1", &pems[1].pkcs1).await;
    ga.import("b.example", "s1", &pems[2].pkcs1).await;
    ga.import("c.example", "s1", &pems[0].pkcs1).await;
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(d, s)| ((*d).to_owned(), (*s).to_owned()))
        .collect()
}

/// Base64 SubjectPublicKeyInfo of a PKCS#8 PEM private key.
fn public_of(pem: &str) -> String {
    use base64::Engine as _;
    let key = RsaPrivateKey::from_pkcs8_pem(pem).expect("a PKCS#8 RSA key");
    let der = key.to_public_key().to_public_key_der().unwrap();
    base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
}

async fn a_fleet_reads_its_domains_keys_with_private_keys_whatever_the_export_policy(
    backend: Backend,
) {
    let app = spawn_app_on(backend).await;
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    assert!(!tenant.settings.private_key_export, "export is off");
    three_domains(&app).await;
    let other = app.new_tenant("other").await;
    app.greenarrow_as(&other)
        .import("a.example", "s9", &keys().await[1].pkcs1)
        .await;
    let token = create_fleet(&app, "mta-eu", "b.example,a.example").await;
    assert!(token.starts_with("sgf_") && token.len() == 47, "{token}");

    let polled = poll(&app, &token, None).await;
    let body = polled.ok();
    assert_eq!(body["fleet"], "mta-eu");
    assert_eq!(
        polled.listed(),
        pairs(&[
            ("a.example", "s1"),
            ("a.example", "s2"),
            ("b.example", "s1")
        ]),
        "only its domains, by domain then selector, never another tenant's"
    );
    let etag = polled.etag.clone().expect("an ETag");
    assert!(etag.starts_with('"') && etag.len() == 66 && !etag.starts_with("W/"));
    for key in body["keys"].as_array().unwrap() {
        assert_eq!(key["algorithm"], "rsa");
        assert_eq!(key["stage"], "active");
        assert_eq!(key["signing"], true);
        let pem = key["private_key"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        let value = key["dns_record"]["value"].as_str().unwrap();
        assert_eq!(value, format!("k=rsa; p={}", public_of(pem)));
        let name = format!(
            "{}._domainkey.{}",
            key["selector"].as_str().unwrap(),
            key["domain"].as_str().unwrap()
        );
        assert_eq!(key["dns_record"]["name"], name.as_str());
        let fixture = match (key["domain"].as_str(), key["selector"].as_str()) {
            (Some("a.example"), Some("s2")) => 0,
            (Some("a.example"), Some("s1")) => 1,
            _ => 2,
        };
        assert_eq!(value, keys().await[fixture].record, "the key imported");
        assert!(key["updated_at"].is_string() && key["default_for_domain"].is_boolean());
    }
}

#[tokio::test]
async fn a_fleet_reads_its_domains_keys_with_private_keys_on_every_backend() {
    for backend in backends() {
        a_fleet_reads_its_domains_keys_with_private_keys_whatever_the_export_policy(backend).await;
    }
}

#[tokio::test]
async fn the_token_is_shown_once_and_stored_only_as_its_hash() {
    let app = spawn_app_on(Backend::Sqlite).await;
    three_domains(&app).await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    assert_eq!(poll(&app, &token, None).await.status, StatusCode::OK);
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let listed = format!("{:?}", app.admin.list_fleets(&tenant).await.unwrap());
    assert!(!listed.contains(&token[4..]), "{listed}");
    let path = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let mut stored = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        stored.extend(wal);
    }
    let contains = |needle: &str| stored.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!contains(&token[4..]), "the token is in the database");
    let hash = signet_domain::FleetTokenHash::of(&token).0;
    assert!(contains(&hash), "the token's hash is in the database");
}

#[tokio::test]
async fn only_a_live_fleet_token_reads_the_feed_and_it_reads_nothing_else() {
    let app = spawn_app_on(Backend::Sqlite).await;
    three_domains(&app).await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let unknown = format!("sgf_{}", "A".repeat(43));
    let client = reqwest::Client::new();
    for (what, auth) in [
        ("no credentials", None),
        ("an API key", Some(format!("Bearer {}", app.api_key))),
        ("an unknown token", Some(format!("Bearer {unknown}"))),
        ("a malformed token", Some("Bearer sgf_short".to_owned())),
        ("Basic", Some(format!("Basic {token}"))),
    ] {
        let mut request = client.get(app.url(FEED));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
        let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], 401, "{what}");
        assert_eq!(body["title"], "Unauthorized");
        assert_eq!(body["type"], "about:blank");
        assert!(!body.to_string().contains(&token[4..]));
    }
    // A fleet token is no credential of the dialects or the console.
    for path in [
        "/v1/dkim/keys",
        "/ga/api/v3/eng/dkim_keys",
        "/console/v1/keys",
    ] {
        let status = client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // Revoked: refused at once.
    assert_eq!(poll(&app, &token, None).await.status, StatusCode::OK);
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    app.admin
        .revoke_fleet(
            &tenant,
            &Origin::cli(),
            &FleetName::parse("mta-eu").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        poll(&app, &token, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_unchanged_feed_is_304_for_its_etag_a_list_holding_it_or_a_star() {
    let app = spawn_app_on(Backend::Sqlite).await;
    three_domains(&app).await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let response = reqwest::Client::new()
        .get(app.url(FEED))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let body = response.bytes().await.unwrap();
    let digest: String = sha256_hex(&body);
    assert_eq!(etag, format!("\"{digest}\""), "the hex SHA-256 of the body");
    for sent in [etag.clone(), format!("\"nope\", {etag}"), "*".to_owned()] {
        let polled = poll(&app, &token, Some(&sent)).await;
        assert_eq!(polled.status, StatusCode::NOT_MODIFIED, "{sent}");
        assert_eq!(polled.etag.as_deref(), Some(etag.as_str()));
        assert!(polled.text.is_empty());
    }
    let stale = poll(&app, &token, Some("\"0000\"")).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.etag.as_deref(), Some(etag.as_str()));
}

fn sha256_hex(body: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Keep cached feeds for ten minutes: only invalidation explains a new ETag.
fn cache_long(settings: &mut signet_api::Settings) {
    settings.feed_cache.max_age = std::time::Duration::from_secs(600);
    settings.feed_cache.revalidate_after = std::time::Duration::from_secs(600);
    settings.auth_cache.ttl = std::time::Duration::from_secs(600);
}

/// Polls with `previous`; asserts a new ETag and what is listed; returns the ETag.
async fn changed(
    app: &TestApp,
    token: &str,
    previous: &str,
    expected: Vec<(String, String)>,
    what: &str,
) -> String {
    let polled = poll(app, token, Some(previous)).await;
    assert_eq!(polled.status, StatusCode::OK, "{what}: {}", polled.text);
    assert_ne!(polled.etag.as_deref(), Some(previous), "{what}");
    assert_eq!(polled.listed(), expected, "{what}");
    polled.etag.unwrap()
}

async fn every_change_to_the_keys_is_seen_on_the_next_poll(backend: Backend) {
    let app = spawn_app_with(AppOptions {
        backend,
        configure: Some(cache_long),
        ..AppOptions::default()
    })
    .await;
    let pems = keys().await;
    let ga = app.greenarrow();
    let mg = app.mailgun();
    ga.import("a.example", "s1", &pems[0].pkcs1).await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let mut etag = poll(&app, &token, None).await.etag.unwrap();

    // GreenArrow: create, update, delete.
    let second = ga.import("a.example", "s2", &pems[1].pkcs1).await;
    etag = changed(
        &app,
        &token,
        &etag,
        pairs(&[("a.example", "s1"), ("a.example", "s2")]),
        "GreenArrow create",
    )
    .await;
    ga.update(second, json!({"selector": "s3"})).await.ok();
    etag = changed(
        &app,
        &token,
        &etag,
        pairs(&[("a.example", "s1"), ("a.example", "s3")]),
        "GreenArrow update",
    )
    .await;
    ga.delete(second).await.ok();
    etag = changed(
        &app,
        &token,
        &etag,
        pairs(&[("a.example", "s1")]),
        "GreenArrow delete",
    )
    .await;
    // Mailgun: an imported key activated, a key switched off, one deleted.
    mg.import_active("a.example", "m1", &pems[2].pkcs1).await;
    etag = changed(
        &app,
        &token,
        &etag,
        pairs(&[("a.example", "m1"), ("a.example", "s1")]),
        "Mailgun activate",
    )
    .await;
    mg.key_action("a.example", "s1", "deactivate")
        .await
        .expect(200);
    etag = changed(
        &app,
        &token,
        &etag,
        pairs(&[("a.example", "m1")]),
        "Mailgun deactivate",
    )
    .await;
    mg.delete_key("a.example", "s1").await.expect(200);
    let polled = poll(&app, &token, Some(&etag)).await;
    // The deleted key was not listed (switched off): the feed is unchanged.
    assert_eq!(polled.status, StatusCode::NOT_MODIFIED, "{}", polled.text);
    mg.key_action("a.example", "m1", "deactivate")
        .await
        .expect(200);
    changed(
        &app,
        &token,
        &etag,
        pairs(&[]),
        "Mailgun deactivates the last key",
    )
    .await;
}

#[tokio::test]
async fn every_change_through_either_dialect_is_seen_on_the_next_poll_on_every_backend() {
    for backend in backends() {
        every_change_to_the_keys_is_seen_on_the_next_poll(backend).await;
    }
}

#[tokio::test]
async fn fleets_are_audited_and_a_feed_read_once_per_change() {
    let app = spawn_app_on(Backend::Sqlite).await;
    let pems = keys().await;
    let ga = app.greenarrow();
    ga.import("a.example", "s1", &pems[0].pkcs1).await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let fleet_events = || async {
        let query = AuditQuery {
            action: None,
            cursor: None,
            limit: 100,
        };
        let page = app.core.audit_events(&tenant, &query).await.unwrap();
        page.events
            .into_iter()
            .filter(|e| e.event.action.as_str().starts_with("fleet."))
            .map(|e| {
                let event = e.event;
                (
                    event.action.as_str().to_owned(),
                    event.origin.actor.kind().to_owned(),
                    event.origin.via.as_str().to_owned(),
                    event.target.fleet.map(|f| f.to_string()),
                )
            })
            .collect::<Vec<_>>()
    };
    let event = |action: &str, actor: &str, via: &str| {
        (
            action.to_owned(),
            actor.to_owned(),
            via.to_owned(),
            Some("mta-eu".to_owned()),
        )
    };
    let etag = poll(&app, &token, None).await.etag.unwrap();
    poll(&app, &token, None).await.ok();
    poll(&app, &token, Some(&etag)).await;
    assert_eq!(
        fleet_events().await,
        [
            event("fleet.read", "fleet", "fleet"),
            event("fleet.created", "cli", "cli")
        ],
        "one read of an unchanged feed, however often served"
    );
    ga.import("a.example", "s2", &pems[1].pkcs1).await;
    poll(&app, &token, Some(&etag)).await.ok();
    app.admin
        .revoke_fleet(
            &tenant,
            &Origin::cli(),
            &FleetName::parse("mta-eu").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        fleet_events().await,
        [
            event("fleet.revoked", "cli", "cli"),
            event("fleet.read", "fleet", "fleet"),
            event("fleet.read", "fleet", "fleet"),
            event("fleet.created", "cli", "cli")
        ]
    );
}

#[tokio::test]
async fn each_fleet_token_has_a_rate_limit_of_its_own() {
    fn two_a_burst(settings: &mut signet_api::Settings) {
        settings.rate_limit.capacity = 2;
        settings.rate_limit.refill_per_second = 0.001;
    }
    let app = spawn_app_with(AppOptions {
        configure: Some(two_a_burst),
        ..AppOptions::default()
    })
    .await;
    // One request of the API key's two: a fleet reads only its tenant's domains.
    app.greenarrow()
        .import("a.example", "s1", &keys().await[0].pkcs1)
        .await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let other = create_fleet(&app, "mta-us", "a.example").await;
    for _ in 0..2 {
        assert_eq!(poll(&app, &token, None).await.status, StatusCode::OK);
    }
    let response = reqwest::Client::new()
        .get(app.url(FEED))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(poll(&app, &other, None).await.status, StatusCode::OK);
}

/// RFC 8463 Appendix A.1's private key (the seed) and public key.
const RFC_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const RFC_PUBLIC: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
/// The PKCS#8 v1 header OpenSSL writes before an Ed25519 seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

#[tokio::test]
async fn an_ed25519_key_is_served_as_pkcs8_pem_beside_rsa() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    let app = spawn_app_on(Backend::Sqlite).await;
    let ga = app.greenarrow();
    ga.import("a.example", "rsa1", &keys().await[0].pkcs1).await;
    ga.create_ok(json!({"domain": "a.example", "selector": "ed1", "key": {"private": RFC_SEED}}))
        .await;
    let token = create_fleet(&app, "mta-eu", "a.example").await;
    let body = poll(&app, &token, None).await.ok();
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{body}");
    let ed = &keys[0];
    assert_eq!(ed["selector"], "ed1");
    assert_eq!(ed["algorithm"], "ed25519");
    assert_eq!(ed["signing"], true);
    assert_eq!(
        ed["dns_record"]["value"],
        format!("k=ed25519; p={RFC_PUBLIC}").as_str()
    );
    let pem = ed["private_key"].as_str().unwrap();
    let inner = pem
        .strip_prefix("-----BEGIN PRIVATE KEY-----\n")
        .and_then(|rest| rest.strip_suffix("-----END PRIVATE KEY-----\n"))
        .unwrap_or_else(|| panic!("PKCS#8 PEM: {pem}"));
    let der = STANDARD.decode(inner.replace('\n', "")).unwrap();
    let mut expected = ED25519_PKCS8_PREFIX.to_vec();
    expected.extend(STANDARD.decode(RFC_SEED).unwrap());
    assert_eq!(der, expected, "the RFC 8463 seed in PKCS#8 v1");
    assert_eq!(keys[1]["algorithm"], "rsa");
}

#[tokio::test]
async fn a_dns_check_that_confirms_a_key_leaves_the_feed_unchanged() {
    let app = spawn_app_with(AppOptions {
        configure: Some(cache_long),
        ..AppOptions::default()
    })
    .await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "mx").await.expect(200);
    let (_, record) = mg.keys_of("example.com").await.remove(0);
    signet_tests::dialect::mailgun::publish(&app, &record);
    mg.key_action("example.com", "mx", "activate")
        .await
        .expect(200);
    let token = create_fleet(&app, "mta", "example.com").await;
    let first = poll(&app, &token, None).await;
    let updated_at = first.ok()["keys"][0]["updated_at"].clone();
    let etag = first.etag.unwrap();

    // The record is looked up again and found as before: nothing to sync.
    let verified = app
        .mailgun()
        .request(reqwest::Method::PUT, "/v4/domains/example.com/verify")
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    let again = poll(&app, &token, Some(&etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{}", again.text);

    // The record disappears: the key's DNS state changes, and so does the feed.
    app.dns.clear(record["name"].as_str().unwrap());
    app.mailgun()
        .request(reqwest::Method::PUT, "/v4/domains/example.com/verify")
        .send()
        .await
        .unwrap();
    let after = poll(&app, &token, Some(&etag)).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert_ne!(after.ok()["keys"][0]["updated_at"], updated_at);
}
