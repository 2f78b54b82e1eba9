//! The audit trail over HTTP: changes made through either dialect and by the
//! background re-check are recorded with who made them, through what and
//! from where; failed changes leave no event; no secret reaches an event.
//! Events are read through the core the test app runs on (the same database
//! the server writes); tests/console/audit.rs reads them over HTTP.

use std::time::Duration;

use serde_json::json;
use signet_domain::{
    Action, Actor, ApiKeyId, AuditQuery, AuditRecord, KeyId, Origin, TenantName, Via,
};
use signet_tests::dialect::mailgun::publish;
use signet_tests::fixtures::keys;
use signet_tests::{backends, eventually, spawn_app_configured, spawn_app_on, TestApp};

/// Every event of the app's tenant, newest first.
async fn events(app: &TestApp) -> Vec<AuditRecord> {
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let query = AuditQuery {
        action: None,
        cursor: None,
        limit: AuditQuery::MAX_LIMIT,
    };
    app.core.audit_events(&tenant, &query).await.unwrap().events
}

/// The id of the app's API key, which its requests are recorded under.
async fn api_key_id(app: &TestApp) -> ApiKeyId {
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    app.admin.list_api_keys(&tenant).await.unwrap()[0].id
}

fn request_id(headers: &reqwest::header::HeaderMap) -> String {
    headers["x-request-id"].to_str().unwrap().to_owned()
}

fn summary(events: &[AuditRecord]) -> Vec<(&'static str, Via)> {
    events
        .iter()
        .map(|e| (e.event.action.as_str(), e.event.origin.via))
        .collect()
}

#[tokio::test]
async fn dialect_changes_are_recorded_with_their_api_key_request_and_address() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        let caller = Actor::ApiKey(api_key_id(&app).await);
        let mg = app.mailgun();
        let ga = app.greenarrow();
        let [pem, _, _] = keys().await;

        let registered = mg.create_domain("example.com", "mx").await;
        let registered_request = request_id(&registered.headers);
        registered.expect(200);
        mg.create_key("example.net", "k1").await.expect(200);
        mg.delete_key("example.net", "k1").await.expect(200);
        let imported = ga.import("example.org", "s1", &pem.pkcs1).await;
        ga.update(imported, json!({ "selector": "s2" })).await.ok();
        ga.delete(imported).await.ok();

        let events = events(&app).await;
        assert_eq!(
            summary(&events),
            [
                ("key.deleted", Via::GreenArrow),
                ("key.updated", Via::GreenArrow),
                ("key.imported", Via::GreenArrow),
                ("key.deleted", Via::Mailgun),
                ("key.created", Via::Mailgun),
                ("key.created", Via::Mailgun),
                ("domain.registered", Via::Mailgun),
                ("api_key.created", Via::Cli),
                ("tenant.created", Via::Cli),
            ],
            "{backend:?}"
        );
        for event in &events[..7] {
            let origin = &event.event.origin;
            assert_eq!(origin.actor, caller, "{event:?}");
            assert_eq!(origin.ip, Some("127.0.0.1".parse().unwrap()), "{event:?}");
            assert!(origin.request_id.is_some(), "{event:?}");
        }
        // The domain and its first key: one request, its id on both events.
        for registration in &events[5..7] {
            let origin = &registration.event.origin;
            assert_eq!(origin.request_id.as_ref(), Some(&registered_request));
            assert_eq!(
                registration.event.target.domain.as_ref().unwrap().as_str(),
                "example.com"
            );
        }
        assert_eq!(events[5].event.target.key_id, Some(KeyId(1)));
        assert_eq!(
            events[5].event.target.selector.as_ref().unwrap().as_str(),
            "mx"
        );

        let imported_event = &events[2].event;
        assert_eq!(imported_event.target.key_id, Some(KeyId(imported)));
        assert_eq!(
            imported_event.target.selector.as_ref().unwrap().as_str(),
            "s1"
        );
        assert_eq!(
            events[1].event.target.selector.as_ref().unwrap().as_str(),
            "s2"
        );
        let fingerprint = signet_domain::PublicKey(pem.public.clone()).fingerprint();
        assert!(fingerprint.is_some());
        for event in &events[..3] {
            assert_eq!(event.event.fingerprint, fingerprint, "{event:?}");
        }

        // No private key and no API key, in any form the test knows.
        let everything = format!("{events:?}");
        assert!(!everything.contains(&app.api_key));
        assert!(!everything.contains("PRIVATE KEY"));
        for line in pem.pkcs1.lines().chain(pem.pkcs8.lines()) {
            if !line.starts_with("-----") && line.len() >= 16 {
                assert!(!everything.contains(line), "a PEM line is in an event");
            }
        }
    }
}

#[tokio::test]
async fn a_change_that_fails_leaves_no_event() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        let mg = app.mailgun();
        let ga = app.greenarrow();
        mg.create_domain("example.com", "mx").await.expect(200);
        let id = ga.import("example.org", "s1", &keys().await[0].pkcs1).await;
        let before = events(&app).await;

        // A conflict in each dialect, validation errors, unknown keys.
        assert_eq!(mg.create_domain("example.com", "mx").await.status, 400);
        assert_eq!(mg.create_key("example.com", "MX").await.status, 400);
        let taken = ga
            .create(json!({ "domain": "example.org", "selector": "S1", "key": { "bits": 1024 } }))
            .await;
        taken.validation_failed();
        ga.create(
            json!({ "domain": "example.org", "selector": "s2", "key": { "private": "nope" } }),
        )
        .await
        .validation_failed();
        ga.update(id, json!({ "selector": "no such selector!" }))
            .await
            .validation_failed();
        ga.delete(id + 100).await.error(404, "not_found");
        assert_eq!(mg.delete_key("example.com", "nope").await.status, 404);

        assert_eq!(events(&app).await, before, "{backend:?}");
    }
}

/// Re-checks every ~200 ms.
fn fast_recheck(settings: &mut signet_api::Settings) {
    settings.dns_recheck.interval = Duration::from_millis(200);
    settings.dns_cache_ttl = Duration::ZERO;
}

#[tokio::test]
async fn the_recheck_records_changes_of_dns_status_and_nothing_else() {
    let app = spawn_app_configured(fast_recheck).await;
    let mg = app.mailgun();
    let created = mg.create_key("example.com", "s1").await.expect(200);
    let dns_events = || async {
        events(&app)
            .await
            .into_iter()
            .filter(|e| e.event.action == Action::KeyDnsChanged)
            .collect::<Vec<_>>()
    };
    eventually(
        Duration::from_secs(10),
        "the missing record is recorded",
        || async { (dns_events().await.len() == 1).then_some(()) },
    )
    .await;
    publish(&app, &created["dns_record"]);
    eventually(
        Duration::from_secs(10),
        "the published record is recorded",
        || async { (dns_events().await.len() == 2).then_some(()) },
    )
    .await;
    // Five more rounds find the same record: lookups alone are not events.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let recorded = dns_events().await;
    let details: Vec<_> = recorded
        .iter()
        .map(|e| e.event.detail.clone().unwrap())
        .collect();
    assert_eq!(details, ["dns invalid -> valid", "dns unknown -> invalid"]);
    for event in &recorded {
        assert_eq!(event.event.origin, Origin::recheck());
        assert_eq!(event.event.target.key_id, Some(KeyId(1)));
    }
}

#[tokio::test]
async fn events_of_one_tenant_are_not_seen_by_another() {
    let app = spawn_app_on(Default::default()).await;
    let bob = app.new_tenant("bob").await;
    app.mailgun_as(&bob)
        .create_key("example.com", "s1")
        .await
        .expect(200);
    let acme = events(&app).await;
    assert_eq!(
        summary(&acme),
        [("api_key.created", Via::Cli), ("tenant.created", Via::Cli)]
    );
    let bob_tenant = app
        .admin
        .tenant(&TenantName::parse("bob").unwrap())
        .await
        .unwrap();
    let query = AuditQuery {
        action: Some("key.created".into()),
        cursor: None,
        limit: 10,
    };
    let page = app.core.audit_events(&bob_tenant, &query).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].tenant, bob_tenant.id);
    assert_eq!(page.next, None);
}
