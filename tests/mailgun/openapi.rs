//! `GET /openapi/mailgun.json` documents every route of the dialect, with the
//! request bodies as Mailgun declares them, every error it can answer, and
//! the constraints the server enforces.

use reqwest::Method;
use serde_json::{json, Value};
use signet_tests::spawn_app;

use signet_tests::dialect::{send, RATE_LIMIT_HEADERS};

/// The served document, from a fresh server.
async fn document() -> Value {
    spawn_app().await.openapi("mailgun").await
}

#[tokio::test]
async fn every_mailgun_route_is_documented_as_mailgun_declares_it() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["basicAuth"]["scheme"],
        "basic"
    );

    let expected: [(&str, &[&str]); 15] = [
        ("/v1/dkim/keys", &["get", "post", "delete"]),
        ("/v1/dkim/zone", &["get"]),
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
        (
            "/v1/dkim_management/domains/{name}/rotation",
            &["get", "put"],
        ),
        ("/v1/dkim_management/domains/{name}/rotate", &["post"]),
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
        assert_eq!(
            content
                .as_object()
                .map(|c| c.keys().map(String::as_str).collect::<Vec<_>>()),
            Some(vec!["multipart/form-data"]),
            "one content type, as Mailgun declares: {method} {path}"
        );
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("an item") {
            if method == "get" || method == "delete" {
                assert!(
                    operation["requestBody"].is_null(),
                    "no body on {method} {path}"
                );
            }
            for status in [
                "400", "401", "403", "404", "405", "408", "413", "429", "500", "503",
            ] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{status} on {method} {path}"
                );
            }
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(!summary.contains('`'), "{summary}");
        }
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

#[tokio::test]
async fn errors_and_parameters_are_declared_so_generated_clients_can_use_them() {
    let doc = document().await;
    let responses = &doc["components"]["responses"];
    for header in RATE_LIMIT_HEADERS {
        assert!(
            responses["TooManyRequests"]["headers"][header].is_object(),
            "{header}"
        );
    }
    assert!(responses["Unavailable"]["headers"]["Retry-After"].is_object());
    assert_eq!(
        responses["NotFound"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/GenericResponse"
    );

    let list = &doc["paths"]["/v1/dkim/keys"]["get"]["parameters"];
    let param = |name: &str| {
        list.as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["schema"]
            .clone()
    };
    assert_eq!(param("limit")["maximum"], 100);
    assert!(param("signing_domain")["pattern"].is_string());
    let form = &doc["components"]["schemas"]["CreateKeyForm"]["properties"];
    assert_eq!(form["bits"]["enum"], json!([1024, 2048]));
    assert!(form["selector"]["pattern"].is_string());
}

#[tokio::test]
async fn the_server_refuses_the_page_sizes_the_document_refuses() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for (path, query, field) in [
        ("/v1/dkim/keys", "limit=101", "limit"),
        ("/v1/dkim/keys", "limit=9223372036854775808", "limit"),
        ("/v4/domains", "limit=1001", "limit"),
        ("/v3/domains", "skip=2147483648", "skip"),
    ] {
        send(mg.request(Method::GET, &format!("{path}?{query}")))
            .await
            .expect_error_containing(400, field);
    }
    for (path, query) in [
        ("/v1/dkim/keys", "limit=100"),
        ("/v4/domains", "limit=1000"),
    ] {
        send(mg.request(Method::GET, &format!("{path}?{query}")))
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn signets_extensions_are_documented_algorithm_strings_and_the_zone() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    let algorithm = &schemas["CreateKeyForm"]["properties"]["algorithm"];
    assert_eq!(algorithm["enum"], json!(["rsa", "ed25519"]), "{algorithm}");
    assert_eq!(
        schemas["DomainKeyResponse"]["properties"]["algorithm"]["enum"],
        json!(["rsa", "ed25519"])
    );
    assert_eq!(schemas["Record"]["properties"]["strings"]["type"], "array");
    // Only TXT records carry it; a CNAME (Automatic Sender Security) has none.
    assert!(!schemas["Record"]["required"]
        .as_array()
        .unwrap()
        .contains(&json!("strings")));
    let ass = &schemas["CreateDomainForm"]["properties"]["use_automatic_sender_security"];
    assert!(
        ass.is_object(),
        "the form documents use_automatic_sender_security"
    );
    assert_eq!(
        schemas["Record"]["properties"]["record_type"]["pattern"],
        "^(TXT|CNAME)$"
    );

    let zone = &doc["paths"]["/v1/dkim/zone"]["get"];
    assert_eq!(zone["parameters"][0]["name"], "domain");
    assert_eq!(zone["parameters"][0]["required"], true);
    let responses = &zone["responses"];
    assert_eq!(
        responses["200"]["content"]["text/dns"]["schema"]["type"],
        "string"
    );
    for status in ["400", "404"] {
        assert!(
            responses[status]["content"]["application/json"].is_object(),
            "{status}"
        );
    }
}
