//! `PUT /v3/domains/{name}/dkim_authority` and `/dkim_selector`.

use reqwest::Method;
use serde_json::{json, Value};
use signet_tests::dialect::mailgun::{publish, Mailgun, Via, VIAS};
use signet_tests::spawn_app;

/// The name of the one DKIM record in `sending_dns_records`.
#[track_caller]
fn record_name(body: &Value) -> String {
    let records = body["sending_dns_records"].as_array().expect("an array");
    assert_eq!(records.len(), 1, "{body}");
    records[0]["name"].as_str().unwrap().to_owned()
}

/// Registers `example.com` (selector `root`) and `mail.example.com` (selector
/// `sub`) with its own DKIM authority.
async fn root_and_own_authority_subdomain(mg: &Mailgun<'_>) {
    mg.create_domain("example.com", "root").await.expect(200);
    let params = [
        ("name", "mail.example.com"),
        ("dkim_key_size", "1024"),
        ("dkim_selector", "sub"),
        ("force_dkim_authority", "true"),
    ];
    mg.call(Method::POST, "/v4/domains", Via::UrlEncoded, &params)
        .await
        .expect(200);
}

#[tokio::test]
async fn dkim_authority_moves_between_a_domain_and_its_root_in_every_encoding() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    root_and_own_authority_subdomain(&mg).await;
    let path = "/v3/domains/mail.example.com/dkim_authority";

    for via in VIAS {
        for (delegate, own) in [("false", "true"), ("no", "YES"), ("0", "1")] {
            let body = mg
                .call(Method::PUT, path, via, &[("self", delegate)])
                .await
                .expect(200);
            assert_eq!(body["changed"], true, "{via:?} self={delegate}");
            assert_eq!(body["message"], "Domain DKIM authority has been changed");
            assert_eq!(record_name(&body), "root._domainkey.example.com");
            assert_eq!(
                mg.domain("mail.example.com").await.expect(200)["sending_dns_records"][0]["name"],
                "root._domainkey.example.com"
            );

            let body = mg
                .call(Method::PUT, path, via, &[("self", own)])
                .await
                .expect(200);
            assert_eq!(body["changed"], true, "{via:?} self={own}");
            assert_eq!(record_name(&body), "sub._domainkey.mail.example.com");
        }
    }
    let unchanged = mg
        .call(Method::PUT, path, Via::Query, &[("self", "true")])
        .await
        .expect(200);
    assert_eq!(unchanged["changed"], false);
    assert_eq!(unchanged["message"], "Domain DKIM authority is unchanged");
}

#[tokio::test]
async fn dkim_authority_errors_are_clear() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "s1").await.expect(200);
    let path = "/v3/domains/example.com/dkim_authority";
    mg.call(Method::PUT, path, Via::UrlEncoded, &[("self", "false")])
        .await
        .expect_error(
            400,
            "no root domain of example.com is registered to take DKIM authority",
        );
    mg.call(Method::PUT, path, Via::Multipart, &[])
        .await
        .expect_error(400, "self is required");
    mg.call(Method::PUT, path, Via::Query, &[("self", "perhaps")])
        .await
        .expect_error_containing(400, "self must be a boolean");
    mg.call(
        Method::PUT,
        "/v3/domains/nothing.example/dkim_authority",
        Via::Query,
        &[("self", "true")],
    )
    .await
    .expect_error(404, "Domain not found");
}

#[tokio::test]
async fn a_new_dkim_selector_renames_the_signing_key_and_needs_verifying_again() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let created = mg.create_domain("example.com", "s1").await.expect(200);
    publish(&app, &created["sending_dns_records"][0]);
    mg.key_action("example.com", "s1", "activate")
        .await
        .expect(200);
    let path = "/v3/domains/example.com/dkim_selector";

    for (i, via) in VIAS.into_iter().enumerate() {
        let selector = format!("sel{i}");
        let body = mg
            .call(
                Method::PUT,
                path,
                via,
                &[("dkim_selector", selector.as_str())],
            )
            .await
            .expect(200);
        assert_eq!(body, json!({"message": "DKIM selector changed"}), "{via:?}");
        let domain = mg.domain("example.com").await.expect(200);
        let record = &domain["sending_dns_records"][0];
        assert_eq!(record["name"], format!("{selector}._domainkey.example.com"));
        assert_eq!(record["valid"], "unknown");
        assert_eq!(mg.selectors_of("example.com").await, [selector]);
    }
}

#[tokio::test]
async fn dkim_selector_errors_are_clear() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "s1").await.expect(200);
    mg.create_key("example.com", "taken").await.expect(200);
    let path = "/v3/domains/example.com/dkim_selector";
    mg.call(Method::PUT, path, Via::Query, &[("dkim_selector", "TAKEN")])
        .await
        .expect_error(400, "failed to change DKIM selector: duplicate key");
    mg.call(Method::PUT, path, Via::Query, &[("dkim_selector", "a..b")])
        .await
        .expect_error_containing(400, "dkim_selector must be dot-separated strings");
    for via in VIAS {
        mg.call(
            Method::PUT,
            "/v3/domains/nothing.example/dkim_selector",
            via,
            &[("dkim_selector", "x")],
        )
        .await
        .expect_error(404, "Domain not found");
    }
    assert_eq!(mg.selectors_of("example.com").await, ["s1", "taken"]);
}

#[tokio::test]
async fn a_missing_or_empty_dkim_selector_is_a_400_and_changes_nothing() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "s1").await.expect(200);
    let before = mg.domain("example.com").await.expect(200);
    let path = "/v3/domains/example.com/dkim_selector";
    for via in VIAS {
        for params in [
            &[][..],
            &[("dkim_selector", "")],
            &[("dkim_selector", "  ")],
            &[("selector", "s2")],
        ] {
            mg.call(Method::PUT, path, via, params)
                .await
                .expect_error(400, "dkim_selector is required");
        }
    }
    // The missing parameter is reported before the domain is looked up.
    mg.call(
        Method::PUT,
        "/v3/domains/nothing.example/dkim_selector",
        Via::Query,
        &[],
    )
    .await
    .expect_error(400, "dkim_selector is required");
    assert_eq!(mg.selectors_of("example.com").await, ["s1"]);
    assert_eq!(mg.domain("example.com").await.expect(200), before);
}

#[tokio::test]
async fn a_missing_or_empty_self_is_a_400_and_changes_nothing() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    root_and_own_authority_subdomain(&mg).await;
    let before = mg.domain("mail.example.com").await.expect(200);
    let path = "/v3/domains/mail.example.com/dkim_authority";
    for via in VIAS {
        for params in [&[][..], &[("self", "")], &[("own", "false")]] {
            mg.call(Method::PUT, path, via, params)
                .await
                .expect_error(400, "self is required");
        }
    }
    assert_eq!(mg.domain("mail.example.com").await.expect(200), before);
}
