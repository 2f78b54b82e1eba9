//! Talking GreenArrow to a test app, and its envelope's assertions.

use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use super::{send, Reply};
use crate::{spawn_app_with, AppOptions, TestApp};

/// The collection's path.
pub const KEYS: &str = "/ga/api/v3/eng/dkim_keys";

/// An app whose tenant has lowered `min_rsa_bits` to 512, for GreenArrow's
/// full 512..8192 range.
pub async fn spawn_full_range() -> TestApp {
    spawn_app_with(AppOptions {
        min_rsa_bits: Some(512),
        ..AppOptions::default()
    })
    .await
}

impl TestApp {
    /// Talks GreenArrow as the app's tenant.
    pub fn greenarrow(&self) -> GreenArrow<'_> {
        self.greenarrow_as(&self.api_key)
    }

    /// Talks GreenArrow as the tenant owning `api_key`.
    pub fn greenarrow_as(&self, api_key: &str) -> GreenArrow<'_> {
        GreenArrow {
            app: self,
            api_key: api_key.to_owned(),
        }
    }
}

/// Talks GreenArrow to one app as one tenant.
pub struct GreenArrow<'a> {
    app: &'a TestApp,
    api_key: String,
}

impl GreenArrow<'_> {
    /// A request to `path` with this tenant's Basic credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app.request_as(method, path, &self.api_key)
    }

    /// `GET /dkim_keys?{query}`.
    pub async fn list(&self, query: &str) -> Reply {
        let path = if query.is_empty() {
            KEYS.to_owned()
        } else {
            format!("{KEYS}?{query}")
        };
        send(self.request(Method::GET, &path)).await
    }

    /// `GET /dkim_keys/{id}`.
    pub async fn get(&self, id: i64) -> Reply {
        send(self.request(Method::GET, &format!("{KEYS}/{id}"))).await
    }

    /// `POST /dkim_keys` with `{"dkim_key": fields}`.
    pub async fn create(&self, fields: Value) -> Reply {
        let body = json!({ "dkim_key": fields });
        send(self.request(Method::POST, KEYS).json(&body)).await
    }

    /// `PUT /dkim_keys/{id}` with `{"dkim_key": fields}`.
    pub async fn update(&self, id: i64, fields: Value) -> Reply {
        let body = json!({ "dkim_key": fields });
        send(
            self.request(Method::PUT, &format!("{KEYS}/{id}"))
                .json(&body),
        )
        .await
    }

    /// `DELETE /dkim_keys/{id}`.
    pub async fn delete(&self, id: i64) -> Reply {
        send(self.request(Method::DELETE, &format!("{KEYS}/{id}"))).await
    }

    /// Creates a key that must succeed; returns its full record.
    pub async fn create_ok(&self, fields: Value) -> Value {
        self.create(fields).await.ok()["dkim_key"].take()
    }

    /// Imports `pem` as `selector` on `domain`; returns the new key's id.
    pub async fn import(&self, domain: &str, selector: &str, pem: &str) -> i64 {
        let record = self
            .create_ok(json!({ "domain": domain, "selector": selector, "key": { "private": pem } }))
            .await;
        id_of(&record)
    }

    /// Every key id of the list's first page (up to 2000).
    pub async fn ids(&self, query: &str) -> Vec<i64> {
        let query = if query.is_empty() {
            "per_page=2000".to_owned()
        } else {
            format!("per_page=2000&{query}")
        };
        self.list(&query).await.ok()["dkim_keys"]
            .as_array()
            .expect("dkim_keys is an array")
            .iter()
            .map(id_of)
            .collect()
    }
}

/// A record's or list item's id.
pub fn id_of(item: &Value) -> i64 {
    item["id"].as_i64().expect("id is an integer")
}

/// GreenArrow's envelope.
impl Reply {
    /// Asserts a success envelope with status 200; returns `data`.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_envelope_keys(&self.body);
        assert_eq!(self.body["success"], true, "{}", self.text);
        assert!(self.body["error_code"].is_null(), "{}", self.text);
        assert!(self.body["error_messages"].is_null(), "{}", self.text);
        let mut body = self.body;
        body["data"].take()
    }

    /// Asserts an error envelope with this status and code; returns the messages.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> Vec<String> {
        assert_eq!(self.status, status, "{}", self.text);
        assert_envelope_keys(&self.body);
        assert_eq!(self.body["success"], false, "{}", self.text);
        assert!(self.body["data"].is_null(), "{}", self.text);
        assert_eq!(self.body["error_code"], code, "{}", self.text);
        let messages: Vec<String> = self.body["error_messages"]
            .as_array()
            .unwrap_or_else(|| panic!("error_messages is an array: {}", self.text))
            .iter()
            .map(|m| m.as_str().expect("messages are strings").to_owned())
            .collect();
        assert!(!messages.is_empty(), "{}", self.text);
        messages
    }

    /// Asserts `validation_failed` (400); returns the messages.
    #[track_caller]
    pub fn validation_failed(&self) -> Vec<String> {
        self.error(400, "validation_failed")
    }

    /// Asserts `invalid_request` (400); returns the messages.
    #[track_caller]
    pub fn invalid_request(&self) -> Vec<String> {
        self.error(400, "invalid_request")
    }
}

/// The envelope has exactly GreenArrow's four keys.
#[track_caller]
pub fn assert_envelope_keys(body: &Value) {
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("the body is an object: {body}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["data", "error_code", "error_messages", "success"],
        "{body}"
    );
}

/// Asserts that one of `messages` is exactly `expected`.
#[track_caller]
pub fn assert_has(messages: &[String], expected: &str) {
    assert!(
        messages.iter().any(|m| m == expected),
        "{expected:?} not in {messages:?}"
    );
}

/// The sorted keys of a JSON object.
pub fn keys_of(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort_unstable();
    keys
}

/// Asserts a full record's shape: exactly the page's fields and Signet's
/// extensions (`key.algorithm`, `dns.public_key.strings`), `key.private`
/// present or absent as `private` says, and a DNS record that matches.
#[track_caller]
pub fn assert_record_shape(record: &Value, private: bool) {
    assert_eq!(
        keys_of(record),
        [
            "default_for_domain",
            "dns",
            "domain",
            "id",
            "key",
            "safe_to_remove",
            "selector",
            "stage"
        ],
        "{record}"
    );
    assert!(record["id"].is_i64(), "{record}");
    assert!(record["default_for_domain"].is_boolean(), "{record}");
    let key_fields: &[&str] = if private {
        &["algorithm", "bits", "private", "public"]
    } else {
        &["algorithm", "bits", "public"]
    };
    assert_eq!(keys_of(&record["key"]), key_fields, "{record}");
    assert!(record["key"]["bits"].is_u64(), "{record}");
    assert_eq!(keys_of(&record["dns"]), ["public_key"], "{record}");
    let dns = &record["dns"]["public_key"];
    assert_eq!(
        keys_of(dns),
        ["name", "strings", "type", "value"],
        "{record}"
    );
    let domain = record["domain"].as_str().unwrap();
    let selector = record["selector"].as_str().unwrap();
    assert_eq!(dns["name"], format!("{selector}._domainkey.{domain}"));
    assert_eq!(dns["type"], "TXT");
    let public = record["key"]["public"].as_str().unwrap();
    let algorithm = record["key"]["algorithm"].as_str().unwrap();
    assert_eq!(dns["value"], format!("k={algorithm}; p={public}"));
    let strings: Vec<&str> = dns["strings"]
        .as_array()
        .expect("strings is an array")
        .iter()
        .map(|s| s.as_str().expect("each string is a string"))
        .collect();
    assert!(strings.iter().all(|s| s.len() <= 255), "{record}");
    assert_eq!(strings.concat(), dns["value"].as_str().unwrap());
}
