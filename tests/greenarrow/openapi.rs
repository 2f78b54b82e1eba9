//! The dialect's OpenAPI document, as served.

use signet_tests::dialect::RATE_LIMIT_HEADERS;
use signet_tests::spawn_app;

#[tokio::test]
async fn every_route_is_documented_with_basic_auth_and_the_export_policy() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    let paths = &doc["paths"];
    let routes: [(&str, &[&str]); 2] = [
        ("/ga/api/v3/eng/dkim_keys", &["get", "post"]),
        ("/ga/api/v3/eng/dkim_keys/{id}", &["get", "put", "delete"]),
    ];
    for (path, methods) in routes {
        for method in methods {
            assert!(paths[path][method].is_object(), "{method}");
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["basicAuth"]["scheme"],
        "basic"
    );
    let description = doc["info"]["description"].as_str().unwrap();
    assert!(description.contains("private_key_export"), "{description}");
}

async fn document(app: &signet_tests::TestApp) -> serde_json::Value {
    app.openapi("greenarrow").await
}

#[tokio::test]
async fn every_operation_declares_the_failures_it_can_answer_in_the_envelope() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            for status in ["401", "405", "408", "429", "500", "503"] {
                assert!(responses[status].is_object(), "{method} {path}: {status}");
            }
            assert!(op.get("requestBody").is_none() || method == "post" || method == "put");
        }
    }
    let limited = &doc["components"]["responses"]["TooManyRequests"];
    for header in RATE_LIMIT_HEADERS {
        assert!(limited["headers"][header].is_object(), "{header}");
    }
    assert_eq!(
        limited["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorEnvelope"
    );
    assert!(doc["components"]["responses"]["Unavailable"]["headers"]["Retry-After"].is_object());
    let create = &paths["/ga/api/v3/eng/dkim_keys"]["post"];
    let content = create["requestBody"]["content"].as_object().unwrap();
    assert_eq!(content.keys().collect::<Vec<_>>(), ["application/json"]);
    assert!(create["responses"]["413"].is_object());
}

#[tokio::test]
async fn a_created_key_links_to_the_operations_on_its_id_and_the_create_body_says_what_is_required()
{
    let app = spawn_app().await;
    let doc = document(&app).await;
    let links = &doc["paths"]["/ga/api/v3/eng/dkim_keys"]["post"]["responses"]["200"]["links"];
    for (name, operation) in [
        ("GetKey", "get_key"),
        ("UpdateKey", "update_key"),
        ("DeleteKey", "delete_key"),
    ] {
        assert_eq!(links[name]["operationId"], operation, "{links}");
        assert_eq!(
            links[name]["parameters"]["id"],
            "$response.body#/data/dkim_key/id"
        );
    }
    let schemas = &doc["components"]["schemas"];
    let required = schemas["NewKeyInput"]["required"].as_array().unwrap();
    for field in ["domain", "selector", "key"] {
        assert!(required.iter().any(|r| r == field), "{field}");
    }
    // 256 is Ed25519's size (Signet's extension); RSA starts at 512.
    let bits = &schemas["KeyMaterialInput"]["properties"]["bits"];
    assert_eq!(
        (bits["minimum"].as_i64(), bits["maximum"].as_i64()),
        (Some(256), Some(8192))
    );
    assert!(schemas["NewKeyInput"]["properties"]["domain"]["pattern"].is_string());
}

#[tokio::test]
async fn a_page_beyond_the_documented_bound_is_refused_and_the_bound_is_accepted() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let params = doc["paths"]["/ga/api/v3/eng/dkim_keys"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let page = params.iter().find(|p| p["name"] == "page").unwrap();
    let max = page["schema"]["maximum"]
        .as_u64()
        .expect("page has a maximum");
    let status = |page: u64| {
        let request = app
            .get(&format!(
                "/ga/api/v3/eng/dkim_keys?page={page}&per_page=2000"
            ))
            .send();
        async move { request.await.unwrap().status().as_u16() }
    };
    assert_eq!(status(max).await, 200);
    assert_eq!(status(max + 1).await, 400);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_one_text_each_wherever_they_are_under_ga() {
    let app = spawn_app().await;
    for path in ["/ga/api/v3/eng/nope", "/ga/nope"] {
        let answer = app.get(path).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{path}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["error_code"], "not_found", "{path}");
        assert_eq!(
            body["error_messages"],
            serde_json::json!(["Not Found"]),
            "{path}"
        );
    }
    let answer = app
        .request(reqwest::Method::PATCH, "/ga/api/v3/eng/dkim_keys")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 405);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        body["error_messages"],
        serde_json::json!(["Method Not Allowed"])
    );
}

#[tokio::test]
async fn signets_extensions_are_documented_algorithm_and_strings() {
    let app = signet_tests::spawn_app().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("KeyMaterialInput", "algorithm"),
        ("KeyMaterialOutput", "algorithm"),
        ("KeySummary", "key_algorithm"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["pattern"], "^(rsa|ed25519)$", "{schema}.{field}");
    }
    assert_eq!(
        schemas["DnsRecordOutput"]["properties"]["strings"]["type"],
        "array"
    );
}
