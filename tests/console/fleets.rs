//! Fleets through the console: owners list, make and revoke them; the token
//! shown once works on the feed until revoked.

use reqwest::{Method, StatusCode};
use serde_json::json;

use signet_tests::fixtures::keys;

use super::{json_of, problem, spawn_console};
use crate::fleet::poll;

const FLEETS: &str = "/console/v1/fleets";

#[tokio::test]
async fn an_owner_makes_lists_and_revokes_a_fleet_whose_token_reads_the_feed() {
    let console = spawn_console().await;
    let pems = keys().await;
    let ga = console.app.greenarrow();
    ga.import("a.example", "s1", &pems[0].pkcs1).await;
    ga.import("b.example", "s1", &pems[1].pkcs1).await;
    let other = console.app.new_tenant("other").await;
    console
        .app
        .greenarrow_as(&other)
        .import("o.example", "s1", &pems[2].pkcs1)
        .await;
    let owner = console.token("owner");
    // Another tenant's domain, or one nobody has: refused alike, so the
    // answer tells nothing of other tenants.
    for foreign in ["o.example", "n.example"] {
        let refused = console
            .call(Method::POST, FLEETS, &owner)
            .json(&json!({"name": "mta-eu", "domains": ["a.example", foreign]}))
            .send()
            .await
            .unwrap();
        let detail = problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            detail,
            format!("the tenant has no domain or key named {foreign}: a fleet reads only its own tenant's domains")
        );
    }
    let created = console
        .call(Method::POST, FLEETS, &owner)
        .json(&json!({"name": "mta-eu", "domains": ["b.example", "a.example"]}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(created).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "mta-eu");
    assert_eq!(body["domains"], json!(["a.example", "b.example"]));
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("sgf_"));
    assert_eq!(
        poll(&console.app, &token, None).await.ok()["fleet"],
        "mta-eu"
    );

    let listed = console
        .call(Method::GET, FLEETS, &owner)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(listed).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["name"], "mta-eu");
    assert_eq!(
        body["items"][0]["domains"],
        json!(["a.example", "b.example"])
    );
    assert!(body["items"][0]["created_at"].is_string());
    assert!(!body.to_string().contains(&token[4..]), "never the token");

    let again = console
        .call(Method::POST, FLEETS, &owner)
        .json(&json!({"name": "mta-eu", "domains": ["a.example"]}))
        .send()
        .await
        .unwrap();
    problem(again, StatusCode::CONFLICT).await;

    let revoked = console
        .call(Method::DELETE, &format!("{FLEETS}/mta-eu"), &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        poll(&console.app, &token, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    for name in ["mta-eu", "Not-A-Name"] {
        let gone = console
            .call(Method::DELETE, &format!("{FLEETS}/{name}"), &owner)
            .send()
            .await
            .unwrap();
        problem(gone, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn only_owners_manage_fleets_and_bad_input_is_a_400() {
    let console = spawn_console().await;
    for role in ["viewer", "admin"] {
        let token = console.token(role);
        let listed = console
            .call(Method::GET, FLEETS, &token)
            .send()
            .await
            .unwrap();
        problem(listed, StatusCode::FORBIDDEN).await;
        let made = console
            .call(Method::POST, FLEETS, &token)
            .json(&json!({"name": "x", "domains": ["a.example"]}))
            .send()
            .await
            .unwrap();
        problem(made, StatusCode::FORBIDDEN).await;
    }
    let owner = console.token("owner");
    for (body, part) in [
        (
            json!({"name": "Bad Name", "domains": ["a.example"]}),
            "name",
        ),
        (json!({"name": "x", "domains": []}), "domains"),
        (json!({"name": "x", "domains": ["not a domain"]}), "domains"),
        (json!({"name": "x"}), "domains"),
    ] {
        let response = console
            .call(Method::POST, FLEETS, &owner)
            .json(&body)
            .send()
            .await
            .unwrap();
        let detail = problem(response, StatusCode::BAD_REQUEST).await;
        assert!(detail.contains(part), "{body}: {detail}");
    }
}
