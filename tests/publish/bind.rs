//! Keys made in either dialect reach BIND; deleted ones leave it; records
//! Signet did not write stay; a wrong secret changes nothing.

use reqwest::StatusCode;
use serde_json::json;
use signet_domain::{Action, AuditQuery};

use signet_tests::{backends, Backend};

use super::{record_value, start, start_on, SPF};

#[tokio::test]
async fn keys_made_in_either_dialect_appear_in_bind_and_deleted_ones_disappear() {
    for backend in backends() {
        publishes_keys_of_both_dialects(backend).await;
    }
}

async fn publishes_keys_of_both_dialects(backend: Backend) {
    let Some(t) = start_on(backend, None).await else {
        return;
    };
    t.app
        .mailgun()
        .create_key(super::ZONE, "mg")
        .await
        .expect(200);
    let (status, body) = t.set_publisher(t.key.secret()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "pending");
    assert!(
        !body.to_string().contains(t.key.secret()),
        "never the secret: {body}"
    );

    let mg = record_value(&t.app, "mg").await;
    t.serves("mg", &[&mg, SPF]).await;
    let shown = t.status_becomes("ok").await;
    assert!(shown["last_published_at"].is_string(), "{shown}");
    assert_eq!(shown["records"], json!(["mg._domainkey.example.test"]));

    // A 2048-bit key through GreenArrow: its record is two strings.
    t.app
        .greenarrow()
        .create_ok(json!({ "domain": super::ZONE, "selector": "ga", "key": { "bits": 2048 } }))
        .await;
    let ga = record_value(&t.app, "ga").await;
    assert!(ga.len() > 255);
    t.serves("ga", &[&ga]).await;

    t.app
        .mailgun()
        .delete_key(super::ZONE, "mg")
        .await
        .expect(200);
    t.serves("mg", &[SPF]).await;
    t.serves("ga", &[&ga]).await;
    let apex = signet_testkit::dns_query::txt(t.bind.addr(), "example.test.").await;
    assert_eq!(apex, vec![SPF.to_owned()], "the apex's SPF stays");

    let tenant = t.app.admin.tenant(&t.app.tenant).await.unwrap();
    let query = AuditQuery {
        action: Some(Action::RecordsPublished.as_str().into()),
        cursor: None,
        limit: 10,
    };
    // The answer reaches BIND's zone a moment before Signet stores it.
    let details = signet_tests::eventually(super::SOON, "three updates recorded", || async {
        let page = t.app.core.audit_events(&tenant, &query).await.unwrap();
        let details: Vec<String> = page
            .events
            .iter()
            .filter_map(|e| e.event.detail.clone())
            .collect();
        (details.len() == 3).then_some(details)
    })
    .await;
    assert_eq!(
        details,
        [
            "added 0, removed 1",
            "added 1, removed 0",
            "added 1, removed 0"
        ]
    );
}

#[tokio::test]
async fn a_wrong_secret_shows_as_failing_and_changes_nothing_in_bind() {
    let Some(t) = start(None).await else { return };
    t.app
        .mailgun()
        .create_key(super::ZONE, "mg")
        .await
        .expect(200);
    let wrong = signet_testkit::TsigKey::generate("signet-update");
    let (status, body) = t.set_publisher(wrong.secret()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let shown = t.status_becomes("failing").await;
    let error = shown["last_error"].as_str().unwrap().to_owned();
    assert!(error.contains("NOTAUTH, TSIG BADSIG"), "{error}");
    for secret in [wrong.secret(), t.key.secret()] {
        assert!(!shown.to_string().contains(secret), "{shown}");
    }
    assert!(shown["last_published_at"].is_null(), "{shown}");
    assert_eq!(t.txt_at("mg").await, vec![SPF.to_owned()]);
    assert_eq!(t.serial().await, Some(1), "the zone never changed");

    let tenant = t.app.admin.tenant(&t.app.tenant).await.unwrap();
    let query = AuditQuery {
        action: Some(Action::PublishFailed.as_str().into()),
        cursor: None,
        limit: 10,
    };
    let events = t.app.core.audit_events(&tenant, &query).await.unwrap();
    let event = &events
        .events
        .first()
        .expect("a publisher.failed event")
        .event;
    assert_eq!(event.detail.as_deref(), Some(error.as_str()));

    // The right secret publishes at once, whatever the backoff had in store.
    t.set_publisher(t.key.secret()).await;
    let mg = record_value(&t.app, "mg").await;
    t.serves("mg", &[&mg, SPF]).await;
    t.status_becomes("ok").await;
}

/// Publishes with a one-second UPDATE deadline.
fn short_timeout(settings: &mut signet_api::Settings) {
    settings.publish.timeout = std::time::Duration::from_secs(1);
}

#[tokio::test]
async fn a_server_that_never_answers_shows_as_failing_and_the_api_goes_on() {
    let Some(t) = start(Some(short_timeout)).await else {
        return;
    };
    // Takes connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    t.app
        .mailgun()
        .create_key(super::ZONE, "mg")
        .await
        .expect(200);
    let (status, body) = t.set_publisher_at(&silent_addr, t.key.secret()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shown = t.status_becomes("failing").await;
    assert_eq!(
        shown["last_error"], "no answer from the server within 1 s",
        "{shown}"
    );
    // Requests are served meanwhile.
    t.app
        .mailgun()
        .create_key(super::ZONE, "other")
        .await
        .expect(200);
    assert_eq!(t.txt_at("mg").await, vec![SPF.to_owned()]);
    held.abort();
}
