//! Request bodies are JSON objects: anything else is refused with 400 and
//! changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{json_of, problem, spawn_console, Console};

async fn call(console: &Console, method: Method, path: &str, token: &str) -> (StatusCode, Value) {
    json_of(console.call(method, path, token).send().await.unwrap()).await
}

/// A body is a JSON object: serde would read a struct from an array of its
/// fields in order, which the document does not describe.
#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_refused_and_changes_nothing() {
    let console = spawn_console().await;
    let owner = console.token("owner");
    for (path, body) in [
        ("/console/v1/settings", json!([true])),
        ("/console/v1/settings", json!([])),
        ("/console/v1/settings", json!("x")),
        ("/console/v1/api-keys", json!(["a label"])),
        ("/console/v1/fleets", json!(["f", ["a.example"]])),
        (
            "/console/v1/keys",
            json!(["a.example", "s1", null, 1024, null]),
        ),
    ] {
        let method = if path.ends_with("settings") {
            Method::PATCH
        } else {
            Method::POST
        };
        let response = console
            .call(method, path, &owner)
            .json(&body)
            .send()
            .await
            .unwrap();
        let detail = problem(response, StatusCode::BAD_REQUEST).await;
        assert!(detail.contains("JSON object"), "{path} {body}: {detail}");
    }
    let (_, settings) = call(&console, Method::GET, "/console/v1/settings", &owner).await;
    assert_eq!(settings["private_key_export"], false);
    for path in [
        "/console/v1/api-keys",
        "/console/v1/fleets",
        "/console/v1/keys",
    ] {
        let (_, list) = call(&console, Method::GET, path, &owner).await;
        let items = list.get("items").unwrap_or(&list);
        assert!(
            items
                .as_array()
                .is_some_and(|i| i.iter().all(|k| k["label"] != "a label"
                    && k["name"] != "f"
                    && k["domain"] != "a.example")),
            "{path}: {list}"
        );
    }
}
