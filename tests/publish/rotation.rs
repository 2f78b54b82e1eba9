//! A rotation in TXT mode with no human step: rotate, the UPDATE adds the
//! new record, the re-check sees it, the key is promoted, the old one
//! retires after the overlap and the UPDATE removes its record.

use std::time::Duration;

use reqwest::Method;
use signet_tests::dialect::mailgun::Via;
use signet_tests::dialect::send;
use signet_tests::eventually;

use super::{record_value, start, SPF, ZONE};

/// Re-checks DNS every 200 ms with no cache; rotations may run every second.
fn fast(settings: &mut signet_api::Settings) {
    settings.dns_recheck.interval = Duration::from_millis(200);
    settings.dns_cache_ttl = Duration::ZERO;
    settings.rotation.min_interval = Duration::from_secs(1);
    settings.publish.interval = Duration::from_millis(300);
}

/// Each key's (selector, stage) through the Mailgun rotation endpoint.
async fn stages(app: &signet_tests::TestApp) -> Vec<(String, String)> {
    let path = format!("/v1/dkim_management/domains/{ZONE}/rotation");
    let answer = send(app.mailgun().request(Method::GET, &path)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["domain"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["selector"].as_str().unwrap().to_owned(),
                k["stage"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_rotation_completes_hands_off_through_the_tenants_own_dns() {
    let Some(t) = start(Some(fast)).await else {
        return;
    };
    let mg = t.app.mailgun();
    mg.create_domain(ZONE, "mg").await.expect(200);
    let (status, body) = t.set_publisher(t.key.secret()).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let old = record_value(&t.app, "mg").await;
    t.serves("mg", &[&old, SPF]).await;
    // Switched on once, as Mailgun makes keys: the record is there, so the
    // activation's DNS check passes with no one publishing anything.
    mg.key_action(ZONE, "mg", "activate").await.expect(200);

    let path = format!("/v1/dkim_management/domains/{ZONE}/rotation");
    let params = [
        ("rotation_enabled", "false"),
        ("retire_after", "2s"),
        ("delete_after", "0"),
    ];
    mg.call(Method::PUT, &path, Via::Multipart, &params)
        .await
        .expect(200);
    let rotate = format!("/v1/dkim_management/domains/{ZONE}/rotate");
    send(mg.request(Method::POST, &rotate)).await.expect(200);
    let new = stages(&t.app)
        .await
        .into_iter()
        .find(|(_, stage)| stage == "pending")
        .expect("a pending key")
        .0;
    let value = record_value(&t.app, &new).await;
    t.serves(&new, &[&value]).await;

    let retired = eventually(Duration::from_secs(20), "the old key retired", || async {
        let now = stages(&t.app).await;
        let stage_of = |s: &str| now.iter().find(|(x, _)| x == s).map(|(_, st)| st.clone());
        (stage_of(&new).as_deref() == Some("active")
            && stage_of("mg").as_deref() == Some("retired"))
        .then_some(now)
    })
    .await;
    assert_eq!(retired.len(), 2, "{retired:?}");
    // The old record leaves; the SPF beside it and the new record stay.
    t.serves("mg", &[SPF]).await;
    t.serves(&new, &[&value]).await;
    t.status_becomes("ok").await;
}
