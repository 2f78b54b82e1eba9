//! `GET /openapi/mailgun.json` documents every route of the dialect, with the
//! request bodies as Mailgun declares them.

use serde_json::{json, Value};
use signet_tests::spawn_app;

#[tokio::test]
async fn every_mailgun_route_is_documented_as_mailgun_declares_it() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/openapi/mailgun.json"))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON document");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["basicAuth"]["scheme"],
        "basic"
    );

    let expected: [(&str, &[&str]); 12] = [
        ("/v1/dkim/keys", &["get", "post", "delete"]),
        ("/v4/domains/{authority_name}/keys", &["get"]),
        (
            "/v4/domains/{authority_name}/keys/{selector}/activate",
            &["put"],
        ),
        (
            "/v4/domains/{authority_name}/keys/{selector}/deactivate",
            &["put"],
        ),
        ("/v4/domains", &["get", "post"]),
        ("/v3/domains", &["get", "post"]),
        ("/v4/domains/{name}", &["get"]),
        ("/v3/domains/{name}", &["get", "delete"]),
        ("/v3/domains/{name}/dkim_authority", &["put"]),
        ("/v3/domains/{name}/dkim_selector", &["put"]),
        ("/v4/domains/{name}/verify", &["put"]),
        ("/v3/domains/{name}/verify", &["put"]),
    ];
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), expected.len(), "{:?}", paths.keys());
    for (path, methods) in expected {
        for method in methods {
            let operation = &doc["paths"][path][method];
            assert_eq!(
                operation["security"],
                json!([{"basicAuth": []}]),
                "{method} {path}"
            );
            assert!(operation["responses"]["401"].is_object(), "{method} {path}");
        }
    }

    for (path, method) in [
        ("/v1/dkim/keys", "post"),
        ("/v4/domains", "post"),
        ("/v3/domains/{name}/dkim_authority", "put"),
        ("/v3/domains/{name}/dkim_selector", "put"),
    ] {
        let content = &doc["paths"][path][method]["requestBody"]["content"];
        assert!(
            content["multipart/form-data"].is_object(),
            "{method} {path}"
        );
        assert!(
            content["application/x-www-form-urlencoded"].is_object(),
            "{method} {path}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    let bits = schemas["CreateKeyForm"]["properties"]["bits"]["description"]
        .as_str()
        .unwrap();
    assert!(
        bits.contains("1024 or 2048") && bits.contains("2048-bit"),
        "{bits}"
    );
    assert!(schemas["DkimAuthorityForm"]["properties"]["self"].is_object());
    let record = &schemas["Record"]["properties"];
    for field in [
        "is_active",
        "cached",
        "name",
        "record_type",
        "valid",
        "value",
    ] {
        assert!(record[field].is_object(), "Record.{field}");
    }
}
