//! The OpenAPI documents, the Swagger UI, and answers for unknown routes.

use reqwest::StatusCode;
use serde_json::Value;
use signet_tests::spawn_app;

use super::{assert_greenarrow_error, assert_mailgun_error};

#[tokio::test]
async fn each_dialect_has_an_openapi_3_1_document_with_basic_auth() {
    let app = spawn_app().await;
    for (path, route) in [
        ("/openapi/mailgun.json", "/v1/dkim/keys"),
        ("/openapi/greenarrow.json", "/ga/api/v3/eng/dkim_keys"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let doc: Value = response.json().await.unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{path}"
        );
        assert!(doc["paths"].get(route).is_some(), "{path} lacks {route}");
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert!(
            schemes.values().any(|s| s["scheme"] == "basic"),
            "{path}: {schemes:?}"
        );
    }
}

#[tokio::test]
async fn the_docs_page_lists_every_document() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.text().await.unwrap().contains("swagger-ui"));

    let config = app.public_text("/docs/swagger-initializer.js").await;
    assert!(config.contains("/openapi/mailgun.json"), "{config}");
    assert!(config.contains("/openapi/greenarrow.json"), "{config}");
    assert!(config.contains("/openapi/console.json"), "{config}");
    assert!(config.contains("/openapi/fleet.json"), "{config}");
}

#[tokio::test]
async fn the_fleet_document_is_openapi_3_1_with_a_bearer_fleet_token() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/openapi/fleet.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let feed = &doc["paths"]["/fleet/v1/keys"]["get"];
    for status in ["200", "304", "401", "500", "503"] {
        assert!(feed["responses"][status].is_object(), "{status}");
    }
    assert!(feed["responses"]["401"]["content"]["application/problem+json"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["fleetToken"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn the_console_document_is_openapi_3_1_with_bearer_auth() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/openapi/console.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"].get("/console/v1/keys").is_some());
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert!(
        schemes.values().all(|s| s["scheme"] != "basic"),
        "{schemes:?}"
    );
}

#[tokio::test]
async fn the_root_redirects_to_the_docs_page() {
    let app = spawn_app().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = no_redirects.get(app.url("/")).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(root.headers()["location"], "/docs");

    let followed = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(followed.status(), StatusCode::OK);
    assert!(followed.text().await.unwrap().contains("swagger-ui"));
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_dialect_of_their_path() {
    let app = spawn_app().await;
    let mailgun = app.get("/v9/nothing/here").send().await.unwrap();
    assert_eq!(mailgun.status(), StatusCode::NOT_FOUND);
    assert_mailgun_error(&mailgun.json().await.unwrap());

    let greenarrow = app.get("/ga/api/v3/eng/nothing").send().await.unwrap();
    assert_eq!(greenarrow.status(), StatusCode::NOT_FOUND);
    assert_greenarrow_error(&greenarrow.json().await.unwrap());
}
