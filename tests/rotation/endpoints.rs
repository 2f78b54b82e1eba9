//! The DKIM-management endpoints' answers to bad input, unknown domains and
//! other tenants, each in Mailgun's shape for them (`{"Reason"}`,
//! `{"Description"}`), and what they accept.

use reqwest::Method;
use serde_json::json;
use signet_tests::dialect::mailgun::{Via, VIAS};
use signet_tests::dialect::send;
use signet_tests::{backends, spawn_app, spawn_app_configured, spawn_app_on};

use super::{fast, rotate_as, rotation_as, rotation_path, set_rotation, stages};

#[tokio::test]
async fn bad_settings_are_refused_with_a_reason_and_change_nothing() {
    let app = spawn_app_configured(fast).await;
    app.mailgun()
        .create_domain("example.com", "mx")
        .await
        .expect(200);
    let long_template = "a".repeat(200);
    let cases: [(&[(&str, &str)], &str); 8] = [
        (
            &[("rotation_enabled", "false"), ("rotation_interval", "5d")],
            "rotation_interval is not allowed unless also enabling DKIM rotation",
        ),
        (
            &[("rotation_interval", "5d")],
            "rotation_enabled is required",
        ),
        (
            &[("rotation_enabled", "maybe")],
            "rotation_enabled must be a boolean: true or false, yes or no, 1 or 0",
        ),
        (
            &[("rotation_enabled", "true"), ("rotation_interval", "5w")],
            "rotation_interval must be a whole number with a unit: d, h, m or s (such as 5d)",
        ),
        (
            &[("rotation_enabled", "true"), ("rotation_interval", "0s")],
            "rotation_interval must be at least 1s",
        ),
        (
            &[("rotation_enabled", "true"), ("algorithms", "rsa,dsa")],
            "algorithms must be one of: rsa, ed25519",
        ),
        (
            &[("rotation_enabled", "true"), ("selector_template", "s%j")],
            "selector_template may only use the date fields %Y, %m, %d, %H, %M and %S",
        ),
        (
            // A selector of 200 characters leaves no room for `b` or `-2`.
            &[("rotation_enabled", "true"), ("selector_template", &long_template)],
            "selector_template must make selectors of at most 196 characters, leaving room for a suffix",
        ),
    ];
    for (params, reason) in cases {
        let answer = set_rotation(&app, "example.com", params).await;
        assert_eq!(answer.status, 400, "{params:?}: {}", answer.body);
        assert_eq!(answer.body, json!({ "Reason": reason }), "{params:?}");
    }
    let now = rotation_as(&app, &app.api_key, "example.com").await;
    assert_eq!(now.body["domain"]["rotation_enabled"], "false");
    assert_eq!(now.body["domain"]["rotation_interval"], "");
}

#[tokio::test]
async fn settings_are_read_from_every_place_mailgun_clients_put_them() {
    let app = spawn_app_configured(fast).await;
    app.mailgun()
        .create_domain("example.com", "mx")
        .await
        .expect(200);
    for (n, via) in VIAS.into_iter().enumerate() {
        let interval = format!("{}h", n + 1);
        let params = [
            ("rotation_enabled", "true"),
            ("rotation_interval", interval.as_str()),
            ("delete_after", "0"),
        ];
        let answer = app
            .mailgun()
            .call(Method::PUT, &rotation_path("example.com"), via, &params)
            .await;
        assert_eq!(answer.status, 200, "{via:?}: {}", answer.body);
        let domain = &answer.body["domain"];
        assert_eq!(domain["rotation_interval"], interval, "{via:?}");
        assert_eq!(domain["delete_after"], "0", "0 keeps retired keys");
        assert_eq!(domain["rotation_enabled"], "true");
        for field in [
            "id",
            "account_id",
            "sid",
            "name",
            "state",
            "active_selector",
        ] {
            assert!(domain[field].is_string(), "{field}");
        }
    }
}

/// A client that compares what it set with what it reads (Terraform) sees
/// no drift: every span comes back as it was written, in the answer to the
/// change and in every later read, `24h` as `24h` though it is `1d`.
#[tokio::test]
async fn spans_are_echoed_as_the_client_wrote_them() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        app.mailgun()
            .create_domain("example.com", "mx")
            .await
            .expect(200);
        for (interval, retire_after) in [
            ("24h", "168h"),
            ("1d", "7d"),
            ("30d", "2h"),
            ("720h", "60m"),
        ] {
            let params = [
                ("rotation_enabled", "true"),
                ("rotation_interval", interval),
                ("retire_after", retire_after),
                ("delete_after", "0"),
            ];
            let set = set_rotation(&app, "example.com", &params).await;
            assert_eq!(set.status, 200, "{interval}: {}", set.body);
            let read = rotation_as(&app, &app.api_key, "example.com").await;
            for (what, answer) in [("the change", &set.body), ("a later read", &read.body)] {
                let domain = &answer["domain"];
                assert_eq!(domain["rotation_interval"], interval, "{what}: {answer}");
                assert_eq!(domain["retire_after"], retire_after, "{what}: {answer}");
                assert_eq!(domain["delete_after"], "0", "{what}: {answer}");
            }
        }
    }
}

#[tokio::test]
async fn unknown_domains_are_not_found_in_mailgun_words() {
    let app = spawn_app().await;
    let not_found = json!({"Description": "domain not found"});
    let get = rotation_as(&app, &app.api_key, "nowhere.example").await;
    assert_eq!((get.status, get.body), (404, not_found.clone()));
    let put = set_rotation(&app, "nowhere.example", &[("rotation_enabled", "true")]).await;
    assert_eq!((put.status, put.body), (404, not_found.clone()));
    let post = rotate_as(&app, &app.api_key, "nowhere.example").await;
    assert_eq!((post.status, post.body), (404, not_found.clone()));
    let bad_name = rotate_as(&app, &app.api_key, "not a domain").await;
    assert_eq!((bad_name.status, bad_name.body), (404, not_found));
}

#[tokio::test]
async fn a_signing_domain_with_keys_alone_rotates_too() {
    let app = spawn_app().await;
    app.greenarrow()
        .create_ok(json!({"domain": "keys.example", "selector": "k1", "key": {"bits": 1024}}))
        .await;
    rotate_as(&app, &app.api_key, "keys.example")
        .await
        .expect(200);
    let body = rotation_as(&app, &app.api_key, "keys.example")
        .await
        .expect(200);
    assert_eq!(stages(&body)[0], ("k1".into(), "active".into()));
    assert_eq!(stages(&body)[1].1, "pending");
}

#[tokio::test]
async fn another_tenant_neither_sees_nor_rotates_a_domain() {
    let app = spawn_app().await;
    app.mailgun()
        .create_domain("example.com", "mx")
        .await
        .expect(200);
    let bob = app.new_tenant("bob").await;
    let not_found = json!({"Description": "domain not found"});
    let get = rotation_as(&app, &bob, "example.com").await;
    assert_eq!((get.status, get.body), (404, not_found.clone()));
    let post = rotate_as(&app, &bob, "example.com").await;
    assert_eq!((post.status, post.body), (404, not_found.clone()));
    let put = app
        .mailgun_as(&bob)
        .call(
            Method::PUT,
            &rotation_path("example.com"),
            Via::UrlEncoded,
            &[("rotation_enabled", "true")],
        )
        .await;
    assert_eq!((put.status, put.body), (404, not_found));
    // Bob's own domain of the same name rotates apart from acme's.
    app.mailgun_as(&bob)
        .create_domain("example.com", "mx")
        .await
        .expect(200);
    rotate_as(&app, &bob, "example.com").await.expect(200);
    let acme = rotation_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    assert_eq!(stages(&acme), [("mx".into(), "active".into())]);
    let bobs = rotation_as(&app, &bob, "example.com").await.expect(200);
    assert_eq!(stages(&bobs).len(), 2);
}

#[tokio::test]
async fn a_deleted_domain_takes_its_rotation_settings_but_not_its_selectors() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "mx").await.expect(200);
    set_rotation(&app, "example.com", &[("rotation_enabled", "true")])
        .await
        .expect(200);
    rotate_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    let first = rotation_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    let issued = stages(&first)[1].0.clone();
    send(mg.request(Method::DELETE, "/v3/domains/example.com"))
        .await
        .expect(200);
    mg.create_domain("example.com", "mx").await.expect(200);
    let fresh = rotation_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    assert_eq!(fresh["domain"]["rotation_enabled"], "false");
    assert_eq!(fresh["domain"]["rotation_interval"], "");
    rotate_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    let again = rotation_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    assert_ne!(
        stages(&again)[1].0,
        issued,
        "a selector is never issued twice"
    );
}

#[tokio::test]
async fn records_carry_their_value_as_dns_strings() {
    let app = spawn_app_configured(fast).await;
    app.mailgun()
        .create_domain("example.com", "mx")
        .await
        .expect(200);
    rotate_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    let put = set_rotation(&app, "example.com", &[("rotation_enabled", "false")])
        .await
        .expect(200);
    let get = rotation_as(&app, &app.api_key, "example.com")
        .await
        .expect(200);
    for body in [put, get] {
        let records = body["domain"]["records"].as_array().unwrap().clone();
        assert_eq!(
            records.len(),
            2,
            "the active 1024-bit key and the pending one"
        );
        for record in &records {
            let strings: Vec<&str> = record["strings"]
                .as_array()
                .expect("strings is an array")
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            assert_eq!(strings.concat(), record["value"].as_str().unwrap());
            assert!(strings.iter().all(|s| s.len() <= 255), "{record}");
        }
        // The rotation's key is RSA-2048: its record needs two strings.
        let pending = records
            .iter()
            .find(|r| r["comment"].as_str().unwrap().starts_with("Pending"))
            .unwrap();
        assert!(
            pending["strings"].as_array().unwrap().len() >= 2,
            "{pending}"
        );
    }
}
