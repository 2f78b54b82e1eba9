//! A private key sent where it does not belong (a JSON field name, a wrong
//! value, a path, a query parameter, a form field, a broken body) is refused
//! with an error that repeats no part of it, in either dialect.

use reqwest::header::CONTENT_TYPE;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use signet_tests::fixtures::keys;
use signet_tests::{spawn_app, TestApp};

/// The smallest piece of a PEM line an answer may not contain.
const PIECE: usize = 24;

/// What an answer must not contain: each armour line and every 24-character
/// piece of each base64 line of `pem`.
fn secrets(pem: &str) -> Vec<String> {
    let mut secrets = vec!["-----BEGIN".to_owned(), "-----END".to_owned()];
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        let chars: Vec<char> = line.chars().collect();
        secrets.extend(chars.windows(PIECE).map(|w| w.iter().collect::<String>()));
    }
    secrets
}

/// Sends `request` and asserts a 4xx whose headers and body repeat no secret;
/// returns the status and body.
async fn assert_not_echoed(what: &str, request: RequestBuilder, secrets: &[String]) -> Value {
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let headers = format!("{:?}", response.headers());
    let text = response.text().await.expect("a readable body");
    assert!(status.is_client_error(), "{what}: {status} {text}");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"));
    let decoded = strings(&body).join("\n");
    for secret in secrets {
        for (place, seen) in [
            ("headers", &headers),
            ("body", &text),
            ("message", &decoded),
        ] {
            assert!(
                !seen.contains(secret.as_str()),
                "{what}: {status} echoes key material in its {place}: {seen}"
            );
        }
    }
    body
}

/// Every string in a JSON value, as a client would decode it.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| std::iter::once(k.clone()).chain(strings(v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The PEM in a path: newlines and spaces percent-encoded, its slashes as
/// they are, so it spans several segments.
fn in_path(pem: &str) -> String {
    pem.trim().replace('\n', "%0A").replace(' ', "%20")
}

/// The PEM as one path segment.
fn in_segment(pem: &str) -> String {
    in_path(pem).replace('/', "%2F")
}

const GA: &str = "/ga/api/v3/eng";
const GA_KEYS: &str = "/ga/api/v3/eng/dkim_keys";

/// GreenArrow: a PEM as a JSON field name at each level, as an unknown
/// field's value, as a value of the wrong type, inside malformed JSON.
#[tokio::test]
async fn greenarrow_json_errors_never_repeat_a_private_key() {
    let app = spawn_app().await;
    let pem = keys().await[0].pkcs1.as_str();
    let secrets = secrets(pem);
    let id = import(&app, pem).await;
    let valid = json!({ "domain": "example.com", "selector": "s2", "key": { "bits": 1024 } });
    let with = |mut dkim_key: Value, name: &str, value: Value| {
        dkim_key[name] = value;
        json!({ "dkim_key": dkim_key })
    };
    let mut key_named = json!({ "dkim_key": valid.clone() });
    key_named[pem] = json!(1);
    let bodies = [
        ("a field name at the top level", key_named),
        (
            "a field name in dkim_key",
            with(valid.clone(), pem, json!("x")),
        ),
        (
            "a field name in key",
            with(valid.clone(), "key", json!({ "bits": 1024, pem: pem })),
        ),
        (
            "an unknown field's value",
            with(valid.clone(), "colour", json!(pem)),
        ),
        (
            "a string for bits",
            with(valid.clone(), "key", json!({ "bits": pem })),
        ),
        ("a string for key", with(valid.clone(), "key", json!(pem))),
        (
            "a list for selector",
            with(valid.clone(), "selector", json!([pem])),
        ),
        (
            "a string for default_for_domain",
            with(valid.clone(), "default_for_domain", json!(pem)),
        ),
        (
            "a map for domain",
            with(valid.clone(), "domain", json!({ pem: pem })),
        ),
        (
            "the key as domain",
            with(valid.clone(), "domain", json!(pem)),
        ),
        (
            "a broken key",
            with(
                valid.clone(),
                "key",
                json!({ "private": pem.replace('M', "*") }),
            ),
        ),
        ("the whole body", json!(pem)),
    ];
    for (what, body) in bodies {
        for (method, path) in [
            (Method::POST, GA_KEYS.to_owned()),
            (Method::PUT, format!("{GA_KEYS}/{id}")),
        ] {
            let request = app.request(method.clone(), &path).json(&body);
            let answer = assert_not_echoed(&format!("{method} {what}"), request, &secrets).await;
            assert_eq!(answer["success"], false, "{answer}");
        }
    }
    let escaped = serde_json::to_string(pem).expect("a JSON string");
    for (what, raw) in [
        ("an unterminated name", format!("{{{escaped}")),
        ("a name without a value", format!("{{{escaped} 1}}")),
        (
            "an unterminated value",
            format!("{{\"dkim_key\": {{\"domain\": {escaped}"),
        ),
        ("a bare key", pem.to_owned()),
        (
            "a trailing comma",
            format!("{{\"dkim_key\": {{\"selector\": {escaped},}}}}"),
        ),
    ] {
        let request = app
            .request(Method::POST, GA_KEYS)
            .header(CONTENT_TYPE, "application/json")
            .body(raw);
        assert_not_echoed(what, request, &secrets).await;
    }
}

/// GreenArrow: a PEM in an unknown path (404), in a known path with the
/// wrong method (405), and in every query parameter of the list.
#[tokio::test]
async fn greenarrow_paths_and_queries_never_repeat_a_private_key() {
    let app = spawn_app().await;
    let pem = keys().await[0].pkcs1.as_str();
    let secrets = secrets(pem);
    let (spread, segment) = (in_path(pem), in_segment(pem));
    for (method, path, status) in [
        (Method::GET, format!("{GA}/{spread}"), 404),
        (Method::GET, format!("{GA}/{segment}"), 404),
        (Method::POST, format!("{GA}/dkim_keys/1/{spread}"), 404),
        (Method::GET, format!("{GA_KEYS}/{segment}"), 404),
        (Method::PATCH, format!("{GA_KEYS}/{segment}"), 405),
        (Method::DELETE, format!("{GA}/{segment}/dkim_keys"), 404),
    ] {
        let what = format!("{method} on a path with a key");
        let answer = assert_not_echoed(&what, app.request(method.clone(), &path), &secrets).await;
        assert_eq!(answer["success"], false, "{answer}");
        let response = app.request(method, &path).send().await.expect("an answer");
        assert_eq!(response.status().as_u16(), status, "{path}");
    }
    for name in ["page", "page_token", "per_page", "domain"] {
        let request = app.request(Method::GET, GA_KEYS).query(&[(name, pem)]);
        assert_not_echoed(name, request, &secrets).await;
    }
    let request = app
        .request(Method::GET, GA_KEYS)
        .query(&[("page", "1"), ("page", pem)]);
    assert_not_echoed("a repeated page", request, &secrets).await;
}

/// Mailgun: a PEM in every form field, query parameter and path, and in
/// malformed JSON and multipart bodies.
#[tokio::test]
async fn mailgun_errors_never_repeat_a_private_key() {
    let app = spawn_app().await;
    let pem = keys().await[0].pkcs1.as_str();
    let secrets = secrets(pem);
    for field in ["signing_domain", "selector", "bits"] {
        let mut params = vec![
            ("signing_domain", "example.com"),
            ("selector", "s1"),
            ("bits", "1024"),
        ];
        params.retain(|(n, _)| *n != field);
        params.push((field, pem));
        let form = params.iter().fold(Form::new(), |form, (n, v)| {
            form.text(n.to_string(), v.to_string())
        });
        for (via, request) in [
            ("query", app.post("/v1/dkim/keys").query(&params)),
            ("urlencoded", app.post("/v1/dkim/keys").form(&params)),
            ("multipart", app.post("/v1/dkim/keys").multipart(form)),
        ] {
            assert_not_echoed(&format!("{field} by {via}"), request, &secrets).await;
        }
    }
    let broken = [
        ("signing_domain", "example.com"),
        ("selector", "s1"),
        ("pem", &pem.replace('M', "*")),
    ];
    assert_not_echoed(
        "a broken pem",
        app.post("/v1/dkim/keys").form(&broken),
        &secrets,
    )
    .await;
    for (path, names) in [
        (
            "/v1/dkim/keys",
            &["limit", "page", "signing_domain", "selector"][..],
        ),
        (
            "/v4/domains",
            &["limit", "skip", "state", "sort", "authority"][..],
        ),
    ] {
        for name in names {
            let request = app.get(path).query(&[(*name, pem)]);
            assert_not_echoed(&format!("{path}?{name}"), request, &secrets).await;
        }
    }
    let (spread, segment) = (in_path(pem), in_segment(pem));
    for (method, path) in [
        (Method::GET, format!("/v1/{spread}")),
        (Method::GET, format!("/v4/domains/{segment}/keys")),
        (Method::PATCH, format!("/v4/domains/{segment}/verify")),
        (Method::GET, format!("/v1/{segment}")),
        (Method::GET, format!("/v4/domains/{segment}")),
        (Method::GET, format!("/v4/domains/%FF{segment}")),
        (
            Method::PUT,
            format!("/v4/domains/{segment}/keys/{segment}/activate"),
        ),
        (Method::PATCH, format!("/v4/domains/{segment}")),
        (Method::GET, format!("/{segment}")),
        (Method::PATCH, format!("/{segment}")),
    ] {
        let what = format!("{method} on a path with a key");
        assert_not_echoed(&what, app.request(method, &path), &secrets).await;
    }
    let escaped = serde_json::to_string(pem).expect("a JSON string");
    let line = pem.lines().nth(1).expect("a base64 line");
    let boundary = "b0undary";
    let multipart = |body: String| {
        app.post("/v1/dkim/keys")
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
    };
    let named =
        |name: &str| format!("--{boundary}\r\nContent-Disposition: form-data; name={name}\r\n\r\n");
    let bodies = [
        (
            "json: a name with a list",
            app.post("/v1/dkim/keys").json(&json!({ pem: [1] })),
        ),
        (
            "json: a name with a map",
            app.post("/v1/dkim/keys").json(&json!({ pem: { pem: 1 } })),
        ),
        (
            "json: unterminated",
            app.post("/v1/dkim/keys")
                .header(CONTENT_TYPE, "application/json")
                .body(format!("{{\"selector\": {escaped}")),
        ),
        (
            "json: a bare key",
            app.post("/v1/dkim/keys")
                .header(CONTENT_TYPE, "application/json")
                .body(pem.to_owned()),
        ),
        (
            "an unknown content type",
            app.post("/v1/dkim/keys")
                .header(CONTENT_TYPE, format!("text/{line}"))
                .body("x"),
        ),
        (
            "multipart: a field named with a key, cut short",
            multipart(format!("{}no end", named(&escaped))),
        ),
        (
            "multipart: a key instead of parts",
            multipart(pem.to_owned()),
        ),
        (
            "multipart: a key in a part's headers",
            multipart(format!(
                "--{boundary}\r\n{line}: {line}\r\n\r\nx\r\n--{boundary}--\r\n"
            )),
        ),
    ];
    for (what, request) in bodies {
        assert_not_echoed(what, request, &secrets).await;
    }
    let not_utf8 = [
        named(&escaped).into_bytes(),
        b"\xff\xfe\r\n--b0undary--\r\n".to_vec(),
    ]
    .concat();
    let request = app
        .post("/v1/dkim/keys")
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(not_utf8);
    assert_not_echoed(
        "multipart: a field named with a key, not UTF-8",
        request,
        &secrets,
    )
    .await;
    let file = Form::new().part(pem.to_owned(), Part::bytes(vec![0xff]).file_name("k.pem"));
    let request = app.post("/v1/dkim/keys").multipart(file);
    assert_not_echoed("multipart: a file part named with a key", request, &secrets).await;
}

/// Imports `pem` through GreenArrow and returns its id.
async fn import(app: &TestApp, pem: &str) -> i64 {
    let body = json!({ "dkim_key": { "domain": "example.com", "selector": "s1", "key": { "private": pem } } });
    let response = app
        .request(Method::POST, GA_KEYS)
        .json(&body)
        .send()
        .await
        .expect("an answer");
    let created: Value = response.json().await.expect("JSON");
    created["data"]["dkim_key"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("imported: {created}"))
}
