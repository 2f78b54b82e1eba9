//! The console's publisher endpoints: validation in problem+json, 404s,
//! roles, and a GET that never shows the secret.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{start, ZONE};

#[tokio::test]
async fn the_console_sets_shows_and_removes_a_publisher_and_refuses_bad_ones() {
    let Some(t) = start(None).await else { return };
    let path = format!("/console/v1/domains/{ZONE}/publisher");
    let (status, _) = t.console(Method::GET, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such domain yet");
    t.app.mailgun().create_key(ZONE, "mg").await.expect(200);
    let (status, body) = t.console(Method::GET, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["detail"], "DNS publisher not found");

    let good = json!({
        "server": t.bind.addr().to_string(),
        "zone": ZONE,
        "tsig_key_name": t.key.name(),
        "tsig_algorithm": "hmac-sha256",
        "tsig_secret": t.key.secret(),
    });
    for (field, value, status, detail) in [
        (
            "server",
            "bind.example.test",
            400,
            "server must be an IP address and port",
        ),
        ("zone", "not a zone", 400, "zone "),
        (
            "tsig_algorithm",
            "hmac-md5",
            400,
            "tsig_algorithm must be hmac-sha256",
        ),
        (
            "tsig_secret",
            "not base64!",
            400,
            "tsig_secret must be non-empty base64",
        ),
        (
            "zone",
            "other.test",
            422,
            "zone other.test does not hold example.test",
        ),
    ] {
        let mut body = good.clone();
        body[field] = json!(value);
        let (got, answer) = t.console(Method::PUT, Some(body)).await;
        assert_eq!(got.as_u16(), status, "{field}={value}: {answer}");
        let text = answer["detail"].as_str().unwrap_or_default();
        assert!(text.starts_with(detail), "{field}: {text}");
        assert!(!answer.to_string().contains(t.key.secret()));
    }

    let (status, set) = t.console(Method::PUT, Some(good)).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let shown = t.publisher().await;
    assert_eq!(shown["authority"], ZONE);
    assert_eq!(shown["zone"], ZONE);
    assert_eq!(shown["server"], t.bind.addr().to_string());
    assert_eq!(shown["tsig_key_name"], t.key.name());
    assert_eq!(shown["tsig_algorithm"], "hmac-sha256");
    assert!(shown.get("tsig_secret").is_none(), "{shown}");
    assert!(!shown.to_string().contains(t.key.secret()), "{shown}");

    // Viewers may not see or change it.
    let storage = signet_api::startup::open_storage(&t.app.settings)
        .await
        .unwrap();
    let issuer = signet_console::BuiltInIssuer::of(|p| storage.derive_secret(p));
    let viewer = issuer
        .mint(
            &signet_console::Grant {
                subject: "viewer@example.test".into(),
                tenant: Some("acme".into()),
                role: signet_console::Role::Viewer,
            },
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    let refused = t
        .app
        .client
        .get(t.app.url(&path))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let (status, _) = t.console(Method::DELETE, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t.console(Method::DELETE, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t.console(Method::GET, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
