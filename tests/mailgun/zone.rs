//! `GET /v1/dkim/zone` (Signet extension) and the `strings` of every record:
//! values split into DNS character-strings that join back to the value.

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};
use signet_tests::dialect::mailgun::{items, Via};
use signet_tests::{backends, spawn_app, spawn_app_on, TestApp};

const ZONE: &str = "/v1/dkim/zone";

/// `GET /v1/dkim/zone?domain=` as `api_key`: status, content type, body.
async fn zone(app: &TestApp, api_key: &str, query: &[(&str, &str)]) -> (u16, String, String) {
    let response = app
        .request_as(Method::GET, ZONE, api_key)
        .query(query)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

/// One zone-file line read back: its name, TTL and the unquoted strings.
fn parse_line(line: &str) -> (String, u32, Vec<String>) {
    let mut fields = line.splitn(5, ' ');
    let name = fields.next().unwrap().to_owned();
    let ttl = fields.next().unwrap().parse().unwrap();
    assert_eq!(
        (fields.next(), fields.next()),
        (Some("IN"), Some("TXT")),
        "{line}"
    );
    let mut strings = Vec::new();
    let mut chars = fields.next().expect("quoted strings").chars();
    while let Some(open) = chars.next() {
        match open {
            ' ' => continue,
            '"' => {}
            other => panic!("{other:?} outside a quoted string in {line}"),
        }
        let mut string = String::new();
        loop {
            match chars
                .next()
                .unwrap_or_else(|| panic!("unterminated string in {line}"))
            {
                '\\' => string.push(chars.next().expect("an escaped character")),
                '"' => break,
                c => string.push(c),
            }
        }
        strings.push(string);
    }
    (name, ttl, strings)
}

/// The `strings` of a record object, checked to join into its `value`.
#[track_caller]
fn strings_of(record: &Value) -> Vec<String> {
    let strings: Vec<String> = serde_json::from_value(record["strings"].clone()).unwrap();
    assert!(
        strings.iter().all(|s| !s.is_empty() && s.len() <= 255),
        "{record}"
    );
    assert_eq!(strings.concat(), record["value"].as_str().unwrap());
    strings
}

#[tokio::test]
async fn the_zone_holds_every_record_split_into_strings_that_join_to_its_value() {
    for backend in backends() {
        let app = spawn_app_on(backend).await;
        let (mg, ga) = (app.mailgun(), app.greenarrow());
        let ed = [
            ("signing_domain", "example.com"),
            ("selector", "ed"),
            ("algorithm", "ed25519"),
        ];
        mg.call(Method::POST, "/v1/dkim/keys", Via::UrlEncoded, &ed)
            .await
            .expect(200);
        let rsa2048 = [
            ("signing_domain", "example.com"),
            ("selector", "r2048"),
            ("bits", "2048"),
        ];
        mg.call(Method::POST, "/v1/dkim/keys", Via::UrlEncoded, &rsa2048)
            .await
            .expect(200);
        let big = ga
            .create_ok(
                json!({ "domain": "example.com", "selector": "r4096", "key": { "bits": 4096 } }),
            )
            .await;
        mg.create_key("other.example", "s1").await.expect(200);

        // Each dialect gives the strings: one for Ed25519, two from 2048 bits, three at 4096.
        let page = mg
            .list_keys(&[("signing_domain", "example.com")])
            .await
            .expect(200);
        let records: Vec<&Value> = items(&page).iter().map(|k| &k["dns_record"]).collect();
        let counts: Vec<usize> = records.iter().map(|r| strings_of(r).len()).collect();
        assert_eq!(counts, [1, 2, 3]);
        let ga_strings = strings_of(&big["dns"]["public_key"]);
        assert_eq!(ga_strings.len(), 3);
        assert_eq!(ga_strings, strings_of(records[2]));
        assert!(ga_strings[..2].iter().all(|s| s.len() == 255));

        let (status, content_type, body) =
            zone(&app, &app.api_key, &[("domain", "example.com")]).await;
        assert_eq!((status, content_type.as_str()), (200, "text/dns"), "{body}");
        assert!(body.ends_with('\n'), "{body:?}");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 3, "only example.com's keys: {body}");
        for (line, record) in lines.iter().zip(&records) {
            let (name, ttl, strings) = parse_line(line);
            assert_eq!(name, format!("{}.", record["name"].as_str().unwrap()));
            assert_eq!(ttl, 3600);
            assert_eq!(strings, strings_of(record));
            assert_eq!(strings.concat(), record["value"].as_str().unwrap());
        }
        assert!(lines[0].starts_with("ed._domainkey.example.com. 3600 IN TXT \"k=ed25519; p="));
    }
}

#[tokio::test]
async fn the_zone_needs_a_known_domain_and_answers_in_mailguns_shape() {
    let app = spawn_app().await;
    let mg = app.mailgun();
    let key = &app.api_key;
    for (query, status, message) in [
        (&[][..], 400, "domain is required"),
        (&[("domain", "")][..], 400, "domain is required"),
        (
            &[("domain", "nowhere.example")][..],
            404,
            "Domain not found",
        ),
    ] {
        let (got, content_type, body) = zone(&app, key, query).await;
        assert_eq!(
            (got, content_type.as_str()),
            (status, "application/json"),
            "{body}"
        );
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body, json!({ "message": message }));
    }
    let (status, _, body) = zone(&app, key, &[("domain", "a..b")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.starts_with("{\"message\":\"domain "), "{body}");

    // A registered domain whose key was deleted: known, and nothing to publish.
    mg.create_domain("quiet.example", "s1").await.expect(200);
    mg.delete_key("quiet.example", "s1").await.expect(200);
    let (status, content_type, body) = zone(&app, key, &[("domain", "quiet.example")]).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (200, "text/dns", "")
    );

    // Another tenant's domain is unknown here.
    mg.create_key("example.com", "s1").await.expect(200);
    let other = app.new_tenant("other").await;
    let (status, _, body) = zone(&app, &other, &[("domain", "example.com")]).await;
    assert_eq!(status, 404, "{body}");
}
