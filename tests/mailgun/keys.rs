//! `/v1/dkim/keys`: creating, importing, listing and deleting keys.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;
use signet_tests::dialect::mailgun::{items, publish, record_bits, Via, VIAS};
use signet_tests::dialect::send;
use signet_tests::fixtures::{keys, small_key};
use signet_tests::{backends, spawn_app, spawn_app_on};

#[tokio::test]
async fn a_key_created_by_size_starts_inactive_with_its_record_to_publish() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for (i, via) in VIAS.into_iter().enumerate() {
        let domain = format!("d{i}.example.com");
        let params = [
            ("signing_domain", domain.as_str()),
            ("selector", "s1"),
            ("bits", "1024"),
        ];
        let body = mg
            .call(Method::POST, "/v1/dkim/keys", via, &params)
            .await
            .expect(200);
        assert_eq!(body["signing_domain"], domain, "{via:?}");
        assert_eq!(body["selector"], "s1");
        let record = &body["dns_record"];
        assert_eq!(record["is_active"], false);
        assert_eq!(record["cached"], json!([]));
        assert_eq!(record["name"], format!("s1._domainkey.{domain}"));
        assert_eq!(record["record_type"], "TXT");
        assert_eq!(record["valid"], "unknown");
        assert_eq!(record_bits(record["value"].as_str().unwrap()), 1024);
        let fields: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            fields,
            [
                "algorithm",
                "dns_record",
                "safe_to_remove",
                "selector",
                "signing_domain",
                "stage"
            ]
        );
        assert_eq!(body["algorithm"], "rsa");
        assert_eq!(
            (body["stage"].clone(), body["safe_to_remove"].clone()),
            (json!("active"), json!(false))
        );
    }
}

#[tokio::test]
async fn a_key_without_bits_is_2048_bits_and_its_split_record_activates() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let params = [("signing_domain", "example.com"), ("selector", "big")];
    let body = mg
        .call(Method::POST, "/v1/dkim/keys", Via::Multipart, &params)
        .await
        .expect(200);
    let value = body["dns_record"]["value"].as_str().unwrap();
    assert_eq!(record_bits(value), 2048);
    assert!(value.len() > 255, "a 2048-bit record needs several strings");

    publish(&app, &body["dns_record"]);
    let activated = mg
        .key_action("example.com", "big", "activate")
        .await
        .expect(200);
    assert_eq!(activated["active"], true);
}

#[tokio::test]
async fn a_pem_is_imported_from_a_field_or_a_file_part() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, b, _] = keys().await;

    let body = mg
        .import_key("a.example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    assert_eq!(body["dns_record"]["value"], a.record);

    let params = [
        ("signing_domain", "b.example.com"),
        ("selector", "s1"),
        ("pem", b.pkcs8.as_str()),
    ];
    let body = mg
        .call(Method::POST, "/v1/dkim/keys", Via::Multipart, &params)
        .await
        .expect(200);
    assert_eq!(body["dns_record"]["value"], b.record);

    // The Python SDK's form: text fields and the key as a file part, with `bits`.
    let form = Form::new()
        .text("signing_domain", "c.example.com")
        .text("selector", "smtp")
        .text("bits", "1024")
        .part(
            "pem",
            Part::bytes(a.pkcs1.clone().into_bytes()).file_name("server.key"),
        );
    let request = mg.request(Method::POST, "/v1/dkim/keys").multipart(form);
    let body = send(request).await.expect(200);
    assert_eq!(body["signing_domain"], "c.example.com");
    assert_eq!(body["dns_record"]["value"], a.record);
    assert!(!body.to_string().contains("PRIVATE"), "{body}");
}

#[tokio::test]
async fn a_duplicate_key_is_refused_in_mailgun_words() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, _, _] = keys().await;
    mg.import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    for selector in ["s1", "S1"] {
        mg.import_key("Example.COM", selector, &a.pkcs1)
            .await
            .expect_error(400, "failed to create domain key: duplicate key");
        mg.create_key("example.com", selector)
            .await
            .expect_error(400, "failed to create domain key: duplicate key");
    }
    assert_eq!(mg.selectors_of("example.com").await, ["s1"]);
}

#[tokio::test]
async fn twenty_parallel_creates_of_one_key_make_exactly_one() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        let mg = app.mailgun();
        let [a, _, _] = keys().await;
        let answers = futures::future::join_all(
            (0..20).map(|_| mg.import_key("race.example.com", "s1", &a.pkcs1)),
        )
        .await;
        let created = answers.iter().filter(|a| a.status == 200).count();
        assert_eq!(created, 1, "{backend:?}: {answers:?}");
        for answer in answers.into_iter().filter(|a| a.status != 200) {
            answer.expect_error(400, "failed to create domain key: duplicate key");
        }
        assert_eq!(mg.selectors_of("race.example.com").await, ["s1"]);
    }
}

#[tokio::test]
async fn an_unreadable_pem_is_refused_in_mailgun_words() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let a = &keys().await[0];
    let small = small_key().await;
    for pem in ["not a key", &a.public_pem, &a.pkcs1[..200]] {
        mg.import_key("example.com", "s1", pem)
            .await
            .expect_error(400, "failed to import domain key: failed to parse PEM");
    }
    let binary = Form::new()
        .text("signing_domain", "example.com")
        .text("selector", "s1")
        .part(
            "pem",
            Part::bytes(vec![0xff, 0xfe, 0x00, 0x80]).file_name("key.der"),
        );
    send(mg.request(Method::POST, "/v1/dkim/keys").multipart(binary))
        .await
        .expect_error(400, "failed to import domain key: failed to parse PEM");
    mg.import_key("example.com", "s1", &small.pkcs1)
        .await
        .expect_error_containing(400, "must have 1024 or 2048");
    assert!(mg.selectors_of("example.com").await.is_empty());
}

#[tokio::test]
async fn bad_create_parameters_are_refused_in_every_encoding() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("selector", "s1")], "signing_domain is required"),
        (&[("signing_domain", "example.com")], "selector is required"),
        (
            &[
                ("signing_domain", "example.com"),
                ("selector", "s1"),
                ("bits", "4096"),
            ],
            "bits must be 1024 or 2048",
        ),
        (
            &[
                ("signing_domain", "example.com"),
                ("selector", "s1"),
                ("bits", "512"),
            ],
            "bits must be 1024 or 2048",
        ),
        (
            &[
                ("signing_domain", "example.com"),
                ("selector", "s1"),
                ("bits", "big"),
            ],
            "bits must be an integer",
        ),
        (
            &[("signing_domain", "exa mple.com"), ("selector", "s1")],
            "signing_domain must be a domain name",
        ),
        (
            &[("signing_domain", "example.com"), ("selector", "s..1")],
            "selector must be dot-separated strings",
        ),
    ];
    for via in VIAS {
        for (params, message) in cases {
            mg.call(Method::POST, "/v1/dkim/keys", via, params)
                .await
                .expect_error_containing(400, message);
        }
    }
    let body = mg.list_keys(&[]).await.expect(200);
    assert!(items(&body).is_empty());
}

#[tokio::test]
async fn lists_filter_by_signing_domain_and_selector_from_query_or_body() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, _, _] = keys().await;
    for (domain, selector) in [
        ("a.example.com", "s1"),
        ("a.example.com", "s2"),
        ("b.example.com", "s1"),
    ] {
        mg.import_key(domain, selector, &a.pkcs1).await.expect(200);
    }
    for via in VIAS {
        let body = mg
            .call(
                Method::GET,
                "/v1/dkim/keys",
                via,
                &[("signing_domain", "A.example.com")],
            )
            .await
            .expect(200);
        let selectors: Vec<_> = items(&body).iter().map(|i| i["selector"].clone()).collect();
        assert_eq!(selectors, [json!("s1"), json!("s2")], "{via:?}");
        assert_eq!(body["total_count"], 2);

        let body = mg
            .call(Method::GET, "/v1/dkim/keys", via, &[("selector", "S1")])
            .await
            .expect(200);
        let domains: Vec<_> = items(&body)
            .iter()
            .map(|i| i["signing_domain"].clone())
            .collect();
        assert_eq!(
            domains,
            [json!("a.example.com"), json!("b.example.com")],
            "{via:?}"
        );
    }
    let body = mg.list_keys(&[]).await.expect(200);
    assert_eq!(items(&body).len(), 3);
    assert_eq!(body["total_count"], 3);
    assert!(body["paging"].is_object());
    mg.list_keys(&[("signing_domain", "bad_domain")])
        .await
        .expect_error_containing(400, "signing_domain must be a domain name");
}

#[tokio::test]
async fn a_key_is_deleted_with_parameters_in_any_encoding() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, _, _] = keys().await;
    for (i, via) in VIAS.into_iter().enumerate() {
        let selector = format!("s{i}");
        mg.import_key("example.com", &selector, &a.pkcs1)
            .await
            .expect(200);
        let params = [
            ("signing_domain", "example.com"),
            ("selector", selector.as_str()),
        ];
        let body = mg
            .call(Method::DELETE, "/v1/dkim/keys", via, &params)
            .await
            .expect(200);
        assert_eq!(body, json!({"message": "success"}), "{via:?}");
        mg.call(Method::DELETE, "/v1/dkim/keys", via, &params)
            .await
            .expect_error(404, "domain key not found");
    }
    assert!(mg.selectors_of("example.com").await.is_empty());
    mg.call(
        Method::DELETE,
        "/v1/dkim/keys",
        Via::Query,
        &[("selector", "s1")],
    )
    .await
    .expect_error(400, "signing_domain is required");
}

#[tokio::test]
async fn the_last_active_key_of_a_domain_cannot_be_deleted() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, b, _] = keys().await;
    mg.import_active("example.com", "s1", &a.pkcs1).await;
    mg.delete_key("example.com", "s1").await.expect_error(
        400,
        "cannot delete domain key: must have at least one active domain key",
    );

    // An inactive key may always go.
    mg.import_key("example.com", "s2", &b.pkcs1)
        .await
        .expect(200);
    mg.delete_key("example.com", "s2").await.expect(200);

    // With another active key, the first may go too.
    mg.import_active("example.com", "s3", &b.pkcs1).await;
    mg.delete_key("example.com", "s1").await.expect(200);
    assert_eq!(mg.selectors_of("example.com").await, ["s3"]);
}

#[tokio::test]
async fn the_first_key_of_a_signing_domain_is_the_one_it_signs_with() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let [a, b, _] = keys().await;
    mg.import_key("example.com", "s1", &a.pkcs1)
        .await
        .expect(200);
    mg.import_key("example.com", "s2", &b.pkcs1)
        .await
        .expect(200);
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let domain = signet_domain::DomainName::parse("example.com").unwrap();
    for (selector, default) in [("s1", true), ("s2", false)] {
        let selector = signet_domain::Selector::parse(selector).unwrap();
        let key = app
            .core
            .find_key(&tenant, &domain, &selector)
            .await
            .unwrap();
        assert_eq!(key.default_for_domain, default, "{selector}");
        assert!(!key.active);
    }
}
