//! Every endpoint with every role, tenant isolation, and keys shared with
//! both dialects.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{claims, json_of, problem, spawn_console, Console};

async fn call(
    console: &Console,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = console.call(method, path, token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    json_of(request.send().await.unwrap()).await
}

#[tokio::test]
async fn each_role_gets_what_it_may_and_403_for_the_rest() {
    let console = spawn_console().await;
    let (viewer, admin, owner, operator) = (
        console.token("viewer"),
        console.token("admin"),
        console.token("owner"),
        console.operator(),
    );
    let new_key = || Some(json!({"domain": "example.com", "selector": "s1", "bits": 1024}));
    // Reads: every member; operators are refused.
    for path in [
        "/console/v1/keys",
        "/console/v1/domains",
        "/console/v1/api-keys",
        "/console/v1/settings",
        "/console/v1/audit",
    ] {
        for token in [&viewer, &admin, &owner] {
            let (status, _) = call(&console, Method::GET, path, token, None).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
        let response = console
            .call(Method::GET, path, &operator)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::FORBIDDEN).await;
    }
    // Writes: viewers are refused.
    for (method, path, body) in [
        (Method::POST, "/console/v1/keys", new_key()),
        (Method::DELETE, "/console/v1/keys/1", None),
        (Method::POST, "/console/v1/keys/1/verify", None),
        (
            Method::POST,
            "/console/v1/api-keys",
            Some(json!({"label": "x"})),
        ),
        (Method::DELETE, "/console/v1/api-keys/1", None),
        (
            Method::PATCH,
            "/console/v1/settings",
            Some(json!({"private_key_export": true})),
        ),
    ] {
        let mut request = console.call(method.clone(), path, &viewer);
        if let Some(body) = body {
            request = request.json(&body);
        }
        problem(request.send().await.unwrap(), StatusCode::FORBIDDEN).await;
    }
    // Settings: owners only.
    let response = console
        .call(Method::PATCH, "/console/v1/settings", &admin)
        .json(&json!({"private_key_export": true}))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::FORBIDDEN).await;
    let (status, settings) = call(
        &console,
        Method::PATCH,
        "/console/v1/settings",
        &owner,
        Some(json!({"private_key_export": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings,
        json!({"private_key_export": true, "min_rsa_bits": 1024})
    );
    let (_, settings) = call(&console, Method::GET, "/console/v1/settings", &viewer, None).await;
    assert_eq!(settings["private_key_export"], true);
    // Tenants: operators only.
    for token in [&viewer, &owner] {
        let response = console
            .call(Method::GET, "/console/v1/tenants", token)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn keys_are_created_imported_listed_verified_and_deleted() {
    let console = spawn_console().await;
    let admin = console.token("admin");
    let (status, created) = call(
        &console,
        Method::POST,
        "/console/v1/keys",
        &admin,
        Some(json!({"domain": "example.com", "selector": "s1", "bits": 1024})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["domain"], "example.com");
    assert_eq!(created["algorithm"], "rsa");
    assert_eq!(created["bits"], 1024);
    assert_eq!(created["active"], true);
    assert_eq!(created["default_for_domain"], true);
    assert_eq!(created["dns"]["name"], "s1._domainkey.example.com");
    assert_eq!(created["dns"]["status"], "unknown");
    assert!(created.get("private_key").is_none());

    let pem =
        signet_domain::PrivateKey::generate_rsa(signet_domain::KeySize::try_from(1024u32).unwrap())
            .unwrap()
            .to_pem();
    let (status, imported) = call(
        &console,
        Method::POST,
        "/console/v1/keys",
        &admin,
        Some(json!({"domain": "example.org", "selector": "imp", "private_key": pem.as_str()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    assert!(!imported.to_string().contains("PRIVATE KEY"));

    let (status, _) = call(
        &console,
        Method::POST,
        "/console/v1/keys",
        &admin,
        Some(json!({"domain": "example.com", "selector": "s1", "bits": 1024})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let response = console
        .call(Method::POST, "/console/v1/keys", &admin)
        .json(&json!({"domain": "example.com", "selector": "s2"}))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST).await;

    // Paging: one key a page, then the filter.
    let viewer = console.token("viewer");
    let (_, first) = call(
        &console,
        Method::GET,
        "/console/v1/keys?limit=1",
        &viewer,
        None,
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, second) = call(
        &console,
        Method::GET,
        &format!("/console/v1/keys?limit=1&cursor={cursor}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(second["items"][0]["id"], imported["id"]);
    assert_eq!(second["next_cursor"], Value::Null);
    let (_, filtered) = call(
        &console,
        Method::GET,
        "/console/v1/keys?domain=example.org",
        &viewer,
        None,
    )
    .await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    let (status, _) = call(
        &console,
        Method::GET,
        "/console/v1/keys?cursor=bogus",
        &viewer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Verify: the record is not published, so it is invalid or unknown.
    let id = created["id"].as_i64().unwrap();
    let (status, verified) = call(
        &console,
        Method::POST,
        &format!("/console/v1/keys/{id}/verify"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(verified["dns"]["status"], "valid");

    let response = console
        .call(Method::DELETE, &format!("/console/v1/keys/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = console
        .call(Method::DELETE, &format!("/console/v1/keys/{id}"), &admin)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_tenant_never_sees_or_touches_another_tenants_keys() {
    let console = spawn_console().await;
    console.app.new_tenant("globex").await;
    let acme = console.token("admin");
    let globex = console.key.sign(&claims(Some("globex"), "owner"));
    let (_, key) = call(
        &console,
        Method::POST,
        "/console/v1/keys",
        &acme,
        Some(json!({"domain": "acme.test", "selector": "s1", "bits": 1024})),
    )
    .await;
    let id = key["id"].as_i64().unwrap();
    let (_, listed) = call(&console, Method::GET, "/console/v1/keys", &globex, None).await;
    assert_eq!(listed["items"], json!([]));
    for (method, path) in [
        (Method::DELETE, format!("/console/v1/keys/{id}")),
        (Method::POST, format!("/console/v1/keys/{id}/verify")),
        (Method::DELETE, "/console/v1/api-keys/1".to_owned()),
    ] {
        let response = console.call(method, &path, &globex).send().await.unwrap();
        problem(response, StatusCode::NOT_FOUND).await;
    }
    let (_, still) = call(&console, Method::GET, "/console/v1/keys", &acme, None).await;
    assert_eq!(still["items"][0]["id"], id);
}

#[tokio::test]
async fn keys_made_in_either_dialect_are_listed_and_console_keys_are_seen_by_both() {
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
    let greenarrow = app
        .post("/ga/api/v3/eng/dkim_keys")
        .json(&json!({"dkim_key": {"domain": "ga.test", "selector": "ga", "key": {"bits": 1024}}}))
        .send()
        .await
        .unwrap();
    assert!(greenarrow.status().is_success(), "{}", greenarrow.status());
    let admin = console.token("admin");
    let (_, listed) = call(&console, Method::GET, "/console/v1/keys", &admin, None).await;
    let names: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            format!(
                "{}/{}",
                k["domain"].as_str().unwrap(),
                k["selector"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["mg.test/mg", "ga.test/ga"]);

    let (_, made) = call(
        &console,
        Method::POST,
        "/console/v1/keys",
        &admin,
        Some(json!({"domain": "console.test", "selector": "c1", "bits": 1024})),
    )
    .await;
    let id = made["id"].as_i64().unwrap();
    let ga = app
        .get(&format!("/ga/api/v3/eng/dkim_keys/{id}"))
        .send()
        .await
        .unwrap();
    let (status, ga) = json_of(ga).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ga["data"]["dkim_key"]["selector"], "c1");
    let mg = app
        .get("/v1/dkim/keys?signing_domain=console.test")
        .send()
        .await
        .unwrap();
    let (status, mg) = json_of(mg).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mg["items"][0]["selector"], "c1");
}

#[tokio::test]
async fn api_keys_are_issued_once_listed_without_secrets_used_and_revoked() {
    let console = spawn_console().await;
    let app = &console.app;
    let admin = console.token("admin");
    let (status, issued) = call(
        &console,
        Method::POST,
        "/console/v1/api-keys",
        &admin,
        Some(json!({"label": "CI relay"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = issued["api_key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("sgn_"));
    let works = app
        .client
        .get(app.url("/v3/domains"))
        .basic_auth("api", Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(works.status(), StatusCode::OK);

    let id = issued["id"].as_i64().unwrap();
    let listed = signet_testkit::eventually(
        std::time::Duration::from_secs(5),
        "the key's use is recorded",
        || async {
            let (_, listed) =
                call(&console, Method::GET, "/console/v1/api-keys", &admin, None).await;
            let item = listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["id"] == id)
                .cloned()
                .unwrap();
            item["last_used_at"].is_string().then_some(listed)
        },
    )
    .await;
    assert!(!listed.to_string().contains(&secret));
    let labels: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["label"].clone())
        .collect();
    assert_eq!(labels, [Value::Null, json!("CI relay")]);

    let response = console
        .call(
            Method::DELETE,
            &format!("/console/v1/api-keys/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let refused = app
        .client
        .get(app.url("/v3/domains"))
        .basic_auth("api", Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        &console,
        Method::POST,
        "/console/v1/api-keys",
        &admin,
        Some(json!({"label": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn operators_list_and_create_tenants_and_the_first_key_works() {
    let console = spawn_console().await;
    let operator = console.operator();
    let (status, created) = call(
        &console,
        Method::POST,
        "/console/v1/tenants",
        &operator,
        Some(json!({"name": "initech"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["tenant"]["name"], "initech");
    let key = created["api_key"].as_str().unwrap();
    let works = console
        .app
        .client
        .get(console.app.url("/v3/domains"))
        .basic_auth("api", Some(key))
        .send()
        .await
        .unwrap();
    assert_eq!(works.status(), StatusCode::OK);
    let (_, listed) = call(
        &console,
        Method::GET,
        "/console/v1/tenants",
        &operator,
        None,
    )
    .await;
    let names: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("acme"), json!("initech")]);
    let (status, _) = call(
        &console,
        Method::POST,
        "/console/v1/tenants",
        &operator,
        Some(json!({"name": "initech"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn domains_show_their_authority_selector_and_dns_state() {
    let console = spawn_console().await;
    let registered = console
        .app
        .post("/v4/domains")
        .form(&[("name", "shop.test"), ("dkim_key_size", "1024")])
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success(), "{}", registered.status());
    let (status, domains) = call(
        &console,
        Method::GET,
        "/console/v1/domains",
        &console.token("viewer"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let shop = &domains["items"][0];
    assert_eq!(shop["name"], "shop.test");
    assert_eq!(shop["authority"], "shop.test");
    assert_eq!(shop["selector"], "mx");
    assert_eq!(shop["dns"]["name"], "mx._domainkey.shop.test");
}

#[tokio::test]
async fn ed25519_keys_are_created_and_imported_and_bad_algorithms_refused() {
    let console = spawn_console().await;
    let admin = console.token("admin");
    let create = |body: Value| {
        call(
            &console,
            Method::POST,
            "/console/v1/keys",
            &admin,
            Some(body),
        )
    };
    let (status, made) =
        create(json!({"domain": "example.com", "selector": "ed", "algorithm": "ed25519"})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        (&made["algorithm"], &made["bits"]),
        (&json!("ed25519"), &json!(256))
    );
    let value = made["dns"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("k=ed25519; p=") && value.len() == 13 + 44,
        "{value}"
    );
    assert_eq!(made["dns"]["strings"], json!([value]));

    let seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    let (status, imported) =
        create(json!({"domain": "example.com", "selector": "rfc", "private_key": seed})).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    assert_eq!(
        imported["dns"]["value"],
        "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    );

    for (body, detail) in [
        (
            json!({"domain": "example.com", "selector": "x", "algorithm": "dsa"}),
            "algorithm must be one of: rsa, ed25519",
        ),
        (
            json!({"domain": "example.com", "selector": "x", "algorithm": "ed25519", "bits": 2048}),
            "bits must be 256 for an ed25519 key",
        ),
        (
            json!({"domain": "example.com", "selector": "x", "algorithm": "rsa", "private_key": seed}),
            "algorithm must be ed25519 to import this private_key",
        ),
    ] {
        let response = console
            .call(Method::POST, "/console/v1/keys", &admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = problem(response, StatusCode::BAD_REQUEST).await;
        assert!(problem.contains(detail), "{problem}");
    }
}
