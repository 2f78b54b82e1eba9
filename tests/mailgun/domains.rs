//! `/v4/domains` and `/v3/domains/{name}`: registering, viewing, listing,
//! verifying and deleting sending domains.

use reqwest::Method;
use serde_json::{json, Value};
use signet_tests::dialect::mailgun::{items, publish, Via, VIAS};
use signet_tests::dialect::send;
use signet_tests::spawn_app;

/// The one DKIM record of a domain answer.
#[track_caller]
fn dkim_record(body: &Value) -> &Value {
    let records = body["sending_dns_records"].as_array().expect("an array");
    assert_eq!(records.len(), 1, "{body}");
    &records[0]
}

#[tokio::test]
async fn a_new_domain_gets_its_first_key_in_every_encoding() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for (i, via) in VIAS.into_iter().enumerate() {
        let name = format!("mg{i}.example.com");
        let params = [
            ("name", name.as_str()),
            ("dkim_key_size", "1024"),
            ("dkim_selector", "s1"),
            ("smtp_password", "ignored-secret"),
        ];
        let body = mg
            .call(Method::POST, "/v4/domains", via, &params)
            .await
            .expect(200);
        assert_eq!(body["message"], "Domain DNS records have been created");
        assert_eq!(body["receiving_dns_records"], json!([]));
        let domain = &body["domain"];
        assert_eq!(domain["name"], name);
        assert_eq!(domain["state"], "unverified");
        assert_eq!(domain["type"], "custom");
        assert_eq!(domain["smtp_login"], format!("postmaster@{name}"));
        assert_eq!(domain["is_disabled"], false);
        assert_eq!(domain["id"].as_str().unwrap().len(), 24);
        let created = domain["created_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc2822(created).is_ok() && created.ends_with(" GMT"),
            "{created}"
        );
        let record = dkim_record(&body);
        assert_eq!(record["name"], format!("s1._domainkey.{name}"));
        assert_eq!(record["record_type"], "TXT");
        assert_eq!(record["valid"], "unknown");
        assert_eq!(record["is_active"], false);
        assert_eq!(mg.selectors_of(&name).await, ["s1"], "{via:?}");
    }
}

#[tokio::test]
async fn a_domain_without_a_selector_gets_mailguns_mx() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let params = [("name", "example.com"), ("dkim_key_size", "1024")];
    let body = mg
        .call(Method::POST, "/v4/domains", Via::UrlEncoded, &params)
        .await
        .expect(200);
    assert_eq!(dkim_record(&body)["name"], "mx._domainkey.example.com");
}

#[tokio::test]
async fn bad_domain_parameters_and_duplicates_are_refused() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("dkim_key_size", "1024")], "name is required"),
        (&[("name", "bad..name")], "name must be a domain name"),
        (
            &[("name", "a.example"), ("dkim_key_size", "4096")],
            "dkim_key_size must be 1024 or 2048",
        ),
        (
            &[("name", "a.example"), ("dkim_selector", "foo.bar")],
            "dkim_selector must be a valid atom",
        ),
        (
            &[("name", "a.example"), ("force_dkim_authority", "maybe")],
            "force_dkim_authority must be a boolean",
        ),
    ];
    for via in VIAS {
        for (params, message) in cases {
            mg.call(Method::POST, "/v4/domains", via, params)
                .await
                .expect_error_containing(400, message);
        }
    }
    mg.create_domain("example.com", "s1").await.expect(200);
    mg.create_domain("EXAMPLE.com", "s2")
        .await
        .expect_error(400, "Domain already exists");
    let list = send(mg.request(Method::GET, "/v4/domains"))
        .await
        .expect(200);
    assert_eq!(list["total_count"], 1);
}

#[tokio::test]
async fn a_domain_shows_the_dkim_record_it_signs_with() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let created = mg.create_domain("example.com", "s1").await.expect(200);
    for path in ["/v4/domains/example.com", "/v3/domains/Example.com"] {
        let body = send(mg.request(Method::GET, path)).await.expect(200);
        assert_eq!(body["domain"], created["domain"], "{path}");
        assert_eq!(body["receiving_dns_records"], json!([]));
        assert_eq!(dkim_record(&body), dkim_record(&created));
        assert!(body.get("message").is_none());
    }
    for missing in ["nothing.example", "not_a_domain"] {
        mg.domain(missing)
            .await
            .expect_error(404, "Domain not found");
    }
}

#[tokio::test]
async fn a_subdomain_signs_with_its_registered_root_unless_forced() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "root").await.expect(200);
    let sub = mg
        .create_domain("mail.example.com", "sub")
        .await
        .expect(200);
    assert_eq!(dkim_record(&sub)["name"], "root._domainkey.example.com");
    assert!(mg.selectors_of("mail.example.com").await.is_empty());

    let params = [
        ("name", "news.example.com"),
        ("dkim_key_size", "1024"),
        ("dkim_selector", "own"),
        ("force_dkim_authority", "YES"),
    ];
    let forced = mg
        .call(Method::POST, "/v4/domains", Via::Multipart, &params)
        .await
        .expect(200);
    assert_eq!(
        dkim_record(&forced)["name"],
        "own._domainkey.news.example.com"
    );
}

#[tokio::test]
async fn domains_are_listed_filtered_sorted_and_paged() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    for name in ["b.example", "a.example", "c.example", "mail.a.example"] {
        mg.create_domain(name, "s1").await.expect(200);
    }
    let names = |body: &Value| -> Vec<String> {
        items(body)
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |query: &'static [(&'static str, &'static str)]| {
        mg.call(Method::GET, "/v4/domains", Via::Query, query)
    };

    let all = list(&[]).await.expect(200);
    assert_eq!(all["total_count"], 4);
    assert_eq!(
        names(&all),
        ["mail.a.example", "c.example", "a.example", "b.example"]
    );
    let by_name = list(&[("sort", "name")]).await.expect(200);
    assert_eq!(
        names(&by_name),
        ["a.example", "b.example", "c.example", "mail.a.example"]
    );
    let desc = list(&[("sort", "name:desc"), ("skip", "1"), ("limit", "2")])
        .await
        .expect(200);
    assert_eq!(names(&desc), ["c.example", "b.example"]);
    assert_eq!(desc["total_count"], 4);
    let delegated = list(&[("authority", "a.example"), ("sort", "name")])
        .await
        .expect(200);
    assert_eq!(names(&delegated), ["a.example", "mail.a.example"]);
    let searched = list(&[("search", "MAIL")]).await.expect(200);
    assert_eq!(names(&searched), ["mail.a.example"]);
    let active = list(&[("state", "active")]).await.expect(200);
    assert_eq!(active, json!({"total_count": 0, "items": []}));
    // An empty count is an absent one, as the document says (integer or empty).
    let empty = list(&[("skip", ""), ("limit", "")]).await.expect(200);
    assert_eq!(names(&empty), names(&all));
    let doc = send(mg.request(Method::GET, "/openapi/mailgun.json"))
        .await
        .expect(200);
    let parameters = doc["paths"]["/v4/domains"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["skip", "limit"] {
        let schema = &parameters.iter().find(|p| p["name"] == name).unwrap()["schema"];
        assert_eq!(
            schema["type"],
            json!(["integer", "string"]),
            "{name}: {schema}"
        );
        assert_eq!(schema["maxLength"], 0, "{name}: {schema}");
    }

    let v3 = send(mg.request(Method::GET, "/v3/domains?sort=name"))
        .await
        .expect(200);
    assert_eq!(names(&v3), names(&by_name));

    list(&[("sort", "size")])
        .await
        .expect_error_containing(400, "sort must be");
    list(&[("state", "weird")])
        .await
        .expect_error_containing(400, "state must be");
    list(&[("skip", "-1")])
        .await
        .expect_error(400, "skip must not be negative");
    list(&[("limit", "many")])
        .await
        .expect_error(400, "limit must be an integer");
}

#[tokio::test]
async fn verifying_a_domain_rechecks_its_record_now() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let created = mg.create_domain("example.com", "s1").await.expect(200);
    let before = send(mg.request(Method::PUT, "/v4/domains/example.com/verify"))
        .await
        .expect(200);
    assert_eq!(before["message"], "Domain DNS records have been updated");
    assert_eq!(dkim_record(&before)["valid"], "invalid");
    assert_eq!(before["domain"]["state"], "unverified");

    publish(&app, dkim_record(&created));
    for path in [
        "/v4/domains/example.com/verify",
        "/v3/domains/example.com/verify",
    ] {
        let after = send(mg.request(Method::PUT, path)).await.expect(200);
        let record = dkim_record(&after);
        assert_eq!(record["valid"], "valid", "{path}");
        assert_eq!(
            record["cached"],
            json!([created["sending_dns_records"][0]["value"]])
        );
        assert_eq!(after["domain"]["state"], "active");
    }
    send(mg.request(Method::PUT, "/v4/domains/nothing.example/verify"))
        .await
        .expect_error(404, "Domain not found");
}

#[tokio::test]
async fn a_deleted_domain_takes_its_keys_with_it() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "s1").await.expect(200);
    let body = send(mg.request(Method::DELETE, "/v3/domains/example.com"))
        .await
        .expect(200);
    assert_eq!(body, json!({"message": "Domain has been deleted"}));
    mg.domain("example.com")
        .await
        .expect_error(404, "Domain not found");
    assert!(mg.selectors_of("example.com").await.is_empty());
    send(mg.request(Method::DELETE, "/v3/domains/example.com"))
        .await
        .expect_error(404, "Domain not found");
}
