//! The audit trail read over `GET /console/v1/audit`: events from the Mailgun
//! and GreenArrow dialects, the console and the CLI, newest first, filtered by
//! action, paged, readable by viewers and kept within their tenant.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use signet_api::settings::cli::{ApiKeyCommand, Command};

use super::{claims, json_of, problem, spawn_console, Console};

async fn get(console: &Console, path: &str, token: &str) -> Value {
    let response = console.call(Method::GET, path, token).send().await.unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Creates `domain`/`selector` through the console as `token`; returns the
/// key and the request id the server answered with.
async fn console_key(
    console: &Console,
    token: &str,
    domain: &str,
    selector: &str,
) -> (Value, String) {
    let response = console
        .call(Method::POST, "/console/v1/keys", token)
        .json(&json!({"domain": domain, "selector": selector, "bits": 1024}))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, key) = json_of(response).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    (key, request_id)
}

#[tokio::test]
async fn events_from_both_dialects_the_console_and_the_cli_are_read_newest_first() {
    let console = spawn_console().await;
    let app = &console.app;
    let mailgun = app
        .post("/v1/dkim/keys")
        .form(&[
            ("signing_domain", "mg.test"),
            ("selector", "mg"),
            ("bits", "1024"),
        ])
        .send()
        .await
        .unwrap();
    assert!(mailgun.status().is_success(), "{}", mailgun.status());
    let mailgun_request = mailgun.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let greenarrow = app
        .post("/ga/api/v3/eng/dkim_keys")
        .json(&json!({"dkim_key": {"domain": "ga.test", "selector": "ga", "key": {"bits": 1024}}}))
        .send()
        .await
        .unwrap();
    assert!(greenarrow.status().is_success(), "{}", greenarrow.status());
    let (made, console_request) =
        console_key(&console, &console.token("admin"), "console.test", "c1").await;
    let create = Command::ApiKey(ApiKeyCommand::Create {
        tenant: app.tenant.as_str().to_owned(),
        label: Some("from the cli".to_owned()),
        json: false,
    });
    signet_api::commands::run(Some(create), app.settings.clone())
        .await
        .expect("the CLI issues a key");

    let viewer = console.token("viewer");
    let page = get(&console, "/console/v1/audit", &viewer).await;
    let events = page["items"].as_array().unwrap();
    let summary: Vec<_> = events[..4]
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["via"].as_str().unwrap(),
                e["actor"]["kind"].as_str().unwrap(),
                e["target"]["domain"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("api_key.created", "cli", "cli", "-"),
            ("key.created", "console", "console", "console.test"),
            ("key.created", "greenarrow", "api_key", "ga.test"),
            ("key.created", "mailgun", "api_key", "mg.test"),
        ]
    );
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    for event in events {
        assert_eq!(event["tenant"], "acme");
        assert_eq!(event["outcome"], "succeeded");
    }

    let (cli, by_console, by_mailgun) = (&events[0], &events[1], &events[3]);
    assert_eq!(cli["actor"]["id"], Value::Null);
    assert_eq!(cli["request_id"], Value::Null);
    assert!(cli["target"]["api_key_id"].is_i64(), "{cli}");

    assert_eq!(by_console["actor"]["id"], "alice@example.com");
    assert_eq!(by_console["request_id"], console_request.as_str());
    assert_eq!(by_console["ip"], "127.0.0.1");
    assert_eq!(by_console["target"]["selector"], "c1");
    assert_eq!(by_console["target"]["key_id"], made["id"]);
    let fingerprint = by_console["fingerprint"].as_str().unwrap();
    assert_eq!(fingerprint.len(), 64, "hex SHA-256: {fingerprint}");

    assert_eq!(by_mailgun["request_id"], mailgun_request.as_str());
    let api_key = by_mailgun["actor"]["id"].as_str().unwrap();
    let listed = get(&console, "/console/v1/api-keys", &viewer).await;
    let ids: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].to_string())
        .collect();
    assert!(ids.contains(&api_key.to_owned()), "{api_key} among {ids:?}");
    assert_ne!(api_key, app.api_key, "the id, never the key");

    // The key listing says where each key was made.
    let keys = get(&console, "/console/v1/keys", &viewer).await;
    let made_via: Vec<_> = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["domain"].as_str().unwrap(),
                k["created_via"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        made_via,
        [
            ("mg.test", "mailgun"),
            ("ga.test", "greenarrow"),
            ("console.test", "console")
        ]
    );
}

#[tokio::test]
async fn the_trail_filters_by_action_pages_and_stays_within_its_tenant() {
    let console = spawn_console().await;
    console.app.new_tenant("globex").await;
    let admin = console.token("admin");
    for selector in ["s1", "s2", "s3"] {
        console_key(&console, &admin, "acme.test", selector).await;
    }
    console_key(
        &console,
        &console.key.sign(&claims(Some("globex"), "admin")),
        "globex.test",
        "g1",
    )
    .await;
    let selectors = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["action"], "key.created");
                e["target"]["selector"].as_str().unwrap().to_owned()
            })
            .collect()
    };

    let viewer = console.token("viewer");
    let first = get(
        &console,
        "/console/v1/audit?action=key.created&limit=2",
        &viewer,
    )
    .await;
    assert_eq!(selectors(&first), ["s3", "s2"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get(
        &console,
        &format!("/console/v1/audit?action=key.created&limit=2&cursor={cursor}"),
        &viewer,
    )
    .await;
    assert_eq!(selectors(&second), ["s1"]);
    assert_eq!(second["next_cursor"], Value::Null);

    let all = get(&console, "/console/v1/audit", &viewer).await;
    let all = all["items"].as_array().unwrap();
    assert!(
        all.iter().any(|e| e["action"] != "key.created"),
        "unfiltered"
    );
    for event in all {
        assert_eq!(event["tenant"], "acme", "{event}");
        assert_ne!(event["target"]["domain"], "globex.test", "{event}");
    }

    let globex = console.key.sign(&claims(Some("globex"), "viewer"));
    let theirs = get(&console, "/console/v1/audit?action=key.created", &globex).await;
    assert_eq!(selectors(&theirs), ["g1"]);
    assert_eq!(theirs["items"][0]["tenant"], "globex");

    for bad in [
        "action=key.exploded",
        "limit=0",
        "limit=501",
        "cursor=nonsense",
    ] {
        let path = format!("/console/v1/audit?{bad}");
        let response = console
            .call(Method::GET, &path, &viewer)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::BAD_REQUEST).await;
    }
    let response = console
        .call(Method::GET, "/console/v1/audit", &console.operator())
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::FORBIDDEN).await;
    let anonymous = console.app.client.get(console.app.url("/console/v1/audit"));
    problem(anonymous.send().await.unwrap(), StatusCode::UNAUTHORIZED).await;
}
