//! The dialect's OpenAPI document, as served.

use signet_tests::spawn_app;

#[tokio::test]
async fn every_route_is_documented_with_basic_auth_and_the_export_policy() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/openapi/greenarrow.json"))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON document");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    let paths = &doc["paths"];
    for method in ["get", "post"] {
        assert!(
            paths["/ga/api/v3/eng/dkim_keys"][method].is_object(),
            "{method}"
        );
    }
    for method in ["get", "put", "delete"] {
        assert!(
            paths["/ga/api/v3/eng/dkim_keys/{id}"][method].is_object(),
            "{method}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["basicAuth"]["scheme"],
        "basic"
    );
    let description = doc["info"]["description"].as_str().unwrap();
    assert!(description.contains("private_key_export"), "{description}");
}
