//! Hands-off rotation of a delegated authority (Automatic Sender Security):
//! each rotation's pending key takes the idle selector of the pair, so the
//! tenant's CNAMEs never change; a retired key still holding it is deleted,
//! a retiring one makes the rotation wait. The resolver's view through the
//! tenant's CNAME is stood in for by the key's TXT record at the tenant's
//! name (the DNS-driven walk needs Signet's DNS server and Unbound).

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use signet_domain::{Action, AuditQuery, DomainName, KeyStage, Origin};
use signet_tests::dialect::mailgun::{publish, Via};
use signet_tests::{backends, eventually, spawn_app_with, AppOptions, Backend, TestApp};

use super::{fast, keys, rotate_as, rotation_as, set_rotation, stages};

const WAIT: Duration = Duration::from_secs(15);

fn fast_delegated(settings: &mut signet_api::Settings) {
    fast(settings);
    settings.dns_zone.zone = Some(DomainName::parse("dkim.signet.test").unwrap());
}

async fn spawn(backend: Backend) -> TestApp {
    spawn_app_with(AppOptions {
        backend,
        configure: Some(fast_delegated),
        ..AppOptions::default()
    })
    .await
}

async fn rotation(app: &TestApp) -> Value {
    rotation_as(app, &app.api_key, "example.com")
        .await
        .expect(200)
}

async fn until_stages(app: &TestApp, expected: &[(&str, &str)], what: &str) -> Value {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(s, st)| (s.to_string(), st.to_string()))
        .collect();
    eventually(WAIT, what, || async {
        let body = rotation(app).await;
        (stages(&body) == expected).then_some(body)
    })
    .await
}

/// Publishes, where the resolver finds it through the tenant's CNAME, the
/// record of the key now holding `selector`.
async fn serve(app: &TestApp, selector: &str) {
    let keys = app.mailgun().keys_of("example.com").await;
    let (_, record) = keys
        .into_iter()
        .find(|(s, _)| s == selector)
        .expect("a key holds the selector");
    publish(app, &record);
}

/// The (selector, stage) of the tenant's keys Signet's zone serves.
async fn served(app: &TestApp) -> Vec<(String, KeyStage)> {
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let keys = app.core.served_keys(Some(tenant.id)).await.unwrap();
    keys.into_iter()
        .map(|s| (s.key.selector.to_string(), s.key.stage))
        .collect()
}

#[tokio::test]
async fn rotations_alternate_pdk1_and_pdk2_under_the_same_cnames() {
    for backend in backends() {
        let app = spawn(backend).await;
        let mg = app.mailgun();
        let params = [
            ("name", "example.com"),
            ("dkim_key_size", "1024"),
            ("use_automatic_sender_security", "true"),
        ];
        let created = mg
            .call(Method::POST, "/v4/domains", Via::Multipart, &params)
            .await
            .expect(200);
        let cnames = created["sending_dns_records"].clone();
        serve(&app, "pdk1").await;
        mg.key_action("example.com", "pdk1", "activate")
            .await
            .expect(200);
        let set = [
            ("rotation_enabled", "false"),
            ("retire_after", "1h"),
            ("delete_after", "0s"),
        ];
        set_rotation(&app, "example.com", &set).await.expect(200);

        // The pending key takes pdk2, and is served at once.
        let rotated = rotate_as(&app, &app.api_key, "example.com").await;
        assert_eq!(rotated.expect(200), json!({"message": "ok"}));
        let body = rotation(&app).await;
        assert_eq!(
            stages(&body),
            [
                ("pdk1".into(), "active".into()),
                ("pdk2".into(), "pending".into())
            ]
        );
        assert_eq!(body["domain"]["records"].as_array().unwrap().len(), 2);
        assert_eq!(
            served(&app).await,
            [
                ("pdk1".into(), KeyStage::Active),
                ("pdk2".into(), KeyStage::Pending)
            ]
        );

        // The resolver sees it through the CNAME: it signs, pdk1 retires.
        serve(&app, "pdk2").await;
        until_stages(
            &app,
            &[("pdk1", "retiring"), ("pdk2", "active")],
            "promotion",
        )
        .await;

        // pdk1 is still served while it retires: the next rotation waits.
        let refused = rotate_as(&app, &app.api_key, "example.com").await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        let reason = refused.body["Reason"].as_str().unwrap();
        let until = reason
            .strip_prefix("the key at pdk1 is still retiring until ")
            .unwrap_or_else(|| panic!("{reason}"));
        let until = chrono::DateTime::parse_from_rfc3339(until).unwrap();
        assert!(until > chrono::Utc::now() + chrono::Duration::minutes(50));
        assert_eq!(stages(&rotation(&app).await).len(), 2, "nothing changed");

        // Retired, pdk1 is no longer served; the next rotation deletes it
        // and puts the new key there.
        let short = [("rotation_enabled", "false"), ("retire_after", "1s")];
        set_rotation(&app, "example.com", &short).await.expect(200);
        until_stages(
            &app,
            &[("pdk1", "retired"), ("pdk2", "active")],
            "retirement",
        )
        .await;
        assert_eq!(served(&app).await, [("pdk2".into(), KeyStage::Active)]);
        rotate_as(&app, &app.api_key, "example.com")
            .await
            .expect(200);
        let body = rotation(&app).await;
        assert_eq!(
            stages(&body),
            [
                ("pdk2".into(), "active".into()),
                ("pdk1".into(), "pending".into())
            ]
        );
        let tenant = app.admin.tenant(&app.tenant).await.unwrap();
        let query = AuditQuery {
            action: Some(Action::KeyDeleted.as_str().to_owned()),
            cursor: None,
            limit: AuditQuery::MAX_LIMIT,
        };
        let deleted = app.core.audit_events(&tenant, &query).await.unwrap().events;
        assert_eq!(deleted.len(), 1, "{deleted:?}");
        assert_eq!(deleted[0].event.origin, Origin::rotation());
        assert_eq!(
            deleted[0]
                .event
                .target
                .selector
                .as_ref()
                .map(|s| s.as_str()),
            Some("pdk1")
        );

        // The new pdk1 is promoted once the resolver sees its own record.
        serve(&app, "pdk1").await;
        until_stages(
            &app,
            &[("pdk2", "retiring"), ("pdk1", "active")],
            "promotion",
        )
        .await;

        // Automatic rotation waits for pdk2 to retire, then starts there.
        let auto = [
            ("rotation_enabled", "true"),
            ("rotation_interval", "1s"),
            ("retire_after", "1s"),
        ];
        set_rotation(&app, "example.com", &auto).await.expect(200);
        let body = until_stages(&app, &[("pdk1", "active"), ("pdk2", "pending")], "auto").await;
        assert_eq!(keys(&body)[1].1["retired_at"], Value::Null);

        // Through it all, the tenant's CNAMEs never changed.
        let shown = mg.domain("example.com").await.expect(200);
        let names = |v: &Value| -> Vec<(Value, Value)> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| (r["name"].clone(), r["value"].clone()))
                .collect()
        };
        assert_eq!(names(&shown["sending_dns_records"]), names(&cnames));
    }
}
