//! One domain through a whole rotation, seen through both dialects at each
//! stage: active, rotate, pending (not signing, however long it waits),
//! published, active (the old key retiring, the default moved), retired,
//! deleted; and automatic rotation.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use signet_domain::{Action, AuditQuery, Origin};
use signet_tests::dialect::mailgun::publish;
use signet_tests::dialect::send;
use signet_tests::{backends, eventually, TestApp};

use super::{keys, rotate_as, rotation_as, set_rotation, spawn_fast, stages};

const WAIT: Duration = Duration::from_secs(15);

/// A registered domain whose key `mx` is published and active.
async fn active_domain(app: &TestApp) {
    let mg = app.mailgun();
    mg.create_domain("example.com", "mx").await.expect(200);
    let (_, record) = mg.keys_of("example.com").await.remove(0);
    publish(app, &record);
    mg.key_action("example.com", "mx", "activate")
        .await
        .expect(200);
}

/// The rotation as the app's tenant sees it now.
async fn rotation(app: &TestApp) -> Value {
    let answer = rotation_as(app, &app.api_key, "example.com").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

/// Each key's (selector, is_active, stage, safe_to_remove) in Mailgun's list.
async fn mailgun_view(app: &TestApp) -> Vec<(String, bool, String, bool)> {
    let answer = send(
        app.mailgun()
            .request(Method::GET, "/v4/domains/example.com/keys"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["selector"].as_str().unwrap().to_owned(),
                k["dns_record"]["is_active"].as_bool().unwrap(),
                k["stage"].as_str().unwrap().to_owned(),
                k["safe_to_remove"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Each key's (selector, default_for_domain, stage, safe_to_remove) in
/// GreenArrow's list.
async fn greenarrow_view(app: &TestApp) -> Vec<(String, bool, String, bool)> {
    let data = app.greenarrow().list("").await.ok();
    data["dkim_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["selector"].as_str().unwrap().to_owned(),
                k["default_for_domain"].as_bool().unwrap(),
                k["stage"].as_str().unwrap().to_owned(),
                k["safe_to_remove"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn view(rows: &[(&str, bool, &str, bool)]) -> Vec<(String, bool, String, bool)> {
    rows.iter()
        .map(|(s, flag, stage, safe)| (s.to_string(), *flag, stage.to_string(), *safe))
        .collect()
}

/// Waits until the rotation's stages are `expected`.
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

#[tokio::test]
async fn a_domain_walks_from_active_through_rotation_to_its_old_key_deleted() {
    for backend in backends() {
        let app = spawn_fast(backend).await;
        active_domain(&app).await;
        let set = set_rotation(
            &app,
            "example.com",
            &[
                ("rotation_enabled", "false"),
                ("retire_after", "3s"),
                ("delete_after", "3s"),
            ],
        )
        .await;
        assert_eq!(set.status, 200, "{}", set.body);
        let domain = &set.body["domain"];
        assert_eq!(domain["name"], "example.com");
        assert_eq!(domain["rotation_enabled"], "false");
        assert_eq!(domain["rotation_interval"], "");
        assert_eq!(domain["active_selector"], "mx");
        assert_eq!(domain["retire_after"], "3s");

        // Rotate: a pending key waits for its record and does not sign.
        let rotated = rotate_as(&app, &app.api_key, "example.com").await;
        assert_eq!(
            (rotated.status, rotated.body.clone()),
            (200, json!({"message": "ok"}))
        );
        let body = rotation(&app).await;
        let new = keys(&body)[1].0.clone();
        assert!(new.starts_with('s') && new.len() == 9, "dated: {new}");
        assert_eq!(
            stages(&body),
            [
                ("mx".into(), "active".into()),
                (new.clone(), "pending".into())
            ]
        );
        let records = body["domain"]["records"].as_array().unwrap();
        assert_eq!(records.len(), 2, "both records must be published");
        assert_eq!(records[1]["name"], format!("{new}._domainkey.example.com"));
        assert_eq!(
            (records[1]["type"].clone(), records[1]["identifier"].clone()),
            (json!("TXT"), json!("DKIM"))
        );
        assert_eq!(
            mailgun_view(&app).await,
            view(&[
                ("mx", true, "active", false),
                (&new, false, "pending", false)
            ])
        );
        assert_eq!(
            greenarrow_view(&app).await,
            view(&[
                ("mx", true, "active", false),
                (&new, false, "pending", false)
            ])
        );
        let again = rotate_as(&app, &app.api_key, "example.com").await;
        assert_eq!(again.status, 400);
        assert_eq!(
            again.body,
            json!({"Reason": format!("a pending key is already waiting: publish the DNS record {new}._domainkey.example.com and verify it")})
        );
        // Never on a timer: rounds of re-checks and rotation pass, still pending.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(stages(&rotation(&app).await)[1].1, "pending");

        // Published: the re-check sees it, the key signs, the old one retires.
        publish(&app, &records[1]);
        let body = until_stages(&app, &[("mx", "retiring"), (&new, "active")], "promotion").await;
        assert_eq!(body["domain"]["active_selector"], new.as_str());
        assert!(keys(&body)[1].1["activated_at"].is_string());
        assert_eq!(
            mailgun_view(&app).await,
            view(&[
                ("mx", false, "retiring", false),
                (&new, true, "active", false)
            ])
        );
        assert_eq!(
            greenarrow_view(&app).await,
            view(&[
                ("mx", false, "retiring", false),
                (&new, true, "active", false)
            ])
        );

        // After retire_after: retired, its record may go.
        let body = until_stages(&app, &[("mx", "retired"), (&new, "active")], "retirement").await;
        let old = &keys(&body)[0].1;
        assert_eq!(old["safe_to_remove"], true);
        assert!(old["retired_at"].is_string());
        assert_eq!(body["domain"]["records"].as_array().unwrap().len(), 1);
        let mg_now = mailgun_view(&app).await;
        if mg_now.len() == 2 {
            assert_eq!(mg_now[0], view(&[("mx", false, "retired", true)])[0]);
        }

        // After delete_after: gone, from both dialects.
        until_stages(&app, &[(&new, "active")], "deletion").await;
        assert_eq!(
            mailgun_view(&app).await,
            view(&[(&new, true, "active", false)])
        );
        assert_eq!(
            greenarrow_view(&app).await,
            view(&[(&new, true, "active", false)])
        );

        // Every transition is in the audit trail.
        let tenant = app.admin.tenant(&app.tenant).await.unwrap();
        let query = AuditQuery {
            action: None,
            cursor: None,
            limit: AuditQuery::MAX_LIMIT,
        };
        let events = app.core.audit_events(&tenant, &query).await.unwrap().events;
        let trail: Vec<(Action, Option<String>, bool)> = events
            .iter()
            .rev()
            .filter(|e| {
                matches!(
                    e.event.action,
                    Action::KeyRotated
                        | Action::KeyStageChanged
                        | Action::RotationChanged
                        | Action::KeyDeleted
                )
            })
            .map(|e| {
                (
                    e.event.action,
                    e.event.detail.clone(),
                    e.event.origin == Origin::rotation(),
                )
            })
            .collect();
        let actions: Vec<(Action, Option<&str>)> =
            trail.iter().map(|(a, d, _)| (*a, d.as_deref())).collect();
        assert_eq!(actions[0].0, Action::RotationChanged, "{trail:?}");
        assert_eq!(
            actions[1..],
            [
                (Action::KeyRotated, None),
                (Action::KeyStageChanged, Some("stage active -> retiring")),
                (Action::KeyStageChanged, Some("stage pending -> active")),
                (Action::KeyStageChanged, Some("stage retiring -> retired")),
                (Action::KeyDeleted, None),
            ],
            "{trail:?}"
        );
        assert!(
            trail[4].2 && trail[5].2,
            "retirement and deletion are the background's"
        );
    }
}

#[tokio::test]
async fn rotation_starts_by_itself_once_the_active_key_is_as_old_as_the_interval() {
    let app = spawn_fast(Default::default()).await;
    active_domain(&app).await;
    let set = set_rotation(
        &app,
        "example.com",
        &[("rotation_enabled", "true"), ("rotation_interval", "2s")],
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["domain"]["rotation_enabled"], "true");
    assert_eq!(set.body["domain"]["rotation_interval"], "2s");
    let body = eventually(WAIT, "an automatic rotation", || async {
        let body = rotation(&app).await;
        (stages(&body).len() == 2).then_some(body)
    })
    .await;
    assert_eq!(stages(&body)[1].1, "pending");
    // One at a time: the pending key waits, and no other is made.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(stages(&rotation(&app).await).len(), 2);

    // Disabled, nothing more is made after the next promotion.
    let off = set_rotation(&app, "example.com", &[("rotation_enabled", "false")]).await;
    assert_eq!(off.body["domain"]["rotation_enabled"], "false");
    assert_eq!(
        off.body["domain"]["rotation_interval"], "2s",
        "kept for the next enabling"
    );
}

#[tokio::test]
async fn an_explicit_verify_promotes_a_published_pending_key_at_once() {
    // The default app: no background re-check.
    let app = signet_tests::spawn_app().await;
    active_domain(&app).await;
    rotate_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    let body = rotation(&app).await;
    let pending = body["domain"]["records"][1].clone();
    let new = keys(&body)[1].0.clone();
    publish(&app, &pending);
    let verified = send(
        app.mailgun()
            .request(Method::PUT, "/v4/domains/example.com/verify"),
    )
    .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(
        stages(&rotation(&app).await),
        [
            ("mx".into(), "retiring".into()),
            (new.clone(), "active".into())
        ]
    );
    // The domain now signs with the new key.
    let domain = app.mailgun().domain("example.com").await;
    let records = app.mailgun().domain_dkim_records("example.com").await;
    assert_eq!(domain.status, 200);
    assert_eq!(records[0].0, format!("{new}._domainkey.example.com"));
}

#[tokio::test]
async fn rsa_and_ed25519_rotate_together_as_one_signing_set() {
    let app = signet_tests::spawn_app().await;
    active_domain(&app).await;
    let set = set_rotation(
        &app,
        "example.com",
        &[("rotation_enabled", "false"), ("algorithms", "ed25519,rsa")],
    )
    .await;
    assert_eq!(
        set.body["domain"]["algorithms"], "rsa,ed25519",
        "{}",
        set.body
    );
    rotate_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    let body = rotation(&app).await;
    let made = keys(&body);
    let algorithms: Vec<(&str, &str)> = made
        .iter()
        .map(|(_, k)| {
            (
                k["algorithm"].as_str().unwrap(),
                k["stage"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        algorithms,
        [
            ("rsa", "active"),
            ("rsa", "pending"),
            ("ed25519", "pending")
        ]
    );
    let (rsa, ed) = (made[1].0.clone(), made[2].0.clone());
    assert_eq!(ed, format!("{rsa}b"), "unique selectors from one date");
    let records = body["domain"]["records"].as_array().unwrap().clone();
    assert!(records[2]["value"]
        .as_str()
        .unwrap()
        .starts_with("k=ed25519; p="));
    for record in &records[1..] {
        publish(&app, record);
    }
    send(
        app.mailgun()
            .request(Method::PUT, "/v4/domains/example.com/verify"),
    )
    .await
    .expect(200);
    let body = rotation(&app).await;
    assert_eq!(
        stages(&body),
        [
            ("mx".into(), "retiring".into()),
            (rsa.clone(), "active".into()),
            (ed.clone(), "active".into())
        ]
    );
    // The default stays with RSA, the algorithm it replaced.
    assert_eq!(body["domain"]["active_selector"], rsa.as_str());
}
