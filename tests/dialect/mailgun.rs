//! Talking Mailgun to a test app: parameters in each place Mailgun's clients
//! put them, answers as status + JSON, DNS publishing.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::multipart::Form;
use reqwest::{Method, RequestBuilder};
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPublicKey;
use serde_json::Value;

use super::{send, Reply};
pub use crate::dns_server::split;
use crate::TestApp;

impl TestApp {
    /// Talks Mailgun as the app's tenant.
    pub fn mailgun(&self) -> Mailgun<'_> {
        self.mailgun_as(&self.api_key)
    }

    /// Talks Mailgun with another API key.
    pub fn mailgun_as(&self, key: &str) -> Mailgun<'_> {
        Mailgun {
            app: self,
            key: key.to_owned(),
        }
    }
}

/// Where a request's parameters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The query string, with an empty body (Mailgun's JS SDK for PUTs).
    Query,
    /// An `application/x-www-form-urlencoded` body (Python and Go SDKs).
    UrlEncoded,
    /// A `multipart/form-data` body (Mailgun's documented form).
    Multipart,
}

/// Every way of sending parameters.
pub const VIAS: [Via; 3] = [Via::Query, Via::UrlEncoded, Via::Multipart];

/// Mailgun's error shape, `{"message": ...}`.
impl Reply {
    /// Asserts an error: status and exact message.
    #[track_caller]
    pub fn expect_error(self, status: u16, message: &str) {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        assert_eq!(self.body, serde_json::json!({ "message": message }));
    }

    /// Asserts an error in Mailgun's shape whose message contains `part`.
    #[track_caller]
    pub fn expect_error_containing(self, status: u16, part: &str) {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        let message = self.body["message"].as_str().unwrap_or_else(|| {
            panic!("not Mailgun's error shape: {}", self.body);
        });
        assert_eq!(
            self.body.as_object().map(|o| o.len()),
            Some(1),
            "{}",
            self.body
        );
        assert!(
            message.contains(part),
            "{message:?} should contain {part:?}"
        );
    }
}

/// Talks Mailgun to one app with one API key.
pub struct Mailgun<'a> {
    app: &'a TestApp,
    key: String,
}

impl Mailgun<'_> {
    /// A request with this client's credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app.request_as(method, path, &self.key)
    }

    /// A request with `params` placed as `via` says.
    pub fn with_params(
        &self,
        method: Method,
        path: &str,
        via: Via,
        params: &[(&str, &str)],
    ) -> RequestBuilder {
        let request = self.request(method, path);
        match via {
            Via::Query => request.query(params),
            Via::UrlEncoded => request.form(params),
            Via::Multipart => {
                let form = params.iter().fold(Form::new(), |form, (name, value)| {
                    form.text(name.to_string(), value.to_string())
                });
                request.multipart(form)
            }
        }
    }

    /// Sends `method path` with `params` placed as `via` says.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        via: Via,
        params: &[(&str, &str)],
    ) -> Reply {
        send(self.with_params(method, path, via, params)).await
    }

    /// `POST /v1/dkim/keys` generating a 1024-bit key.
    pub async fn create_key(&self, domain: &str, selector: &str) -> Reply {
        let params = [
            ("signing_domain", domain),
            ("selector", selector),
            ("bits", "1024"),
        ];
        self.call(Method::POST, "/v1/dkim/keys", Via::UrlEncoded, &params)
            .await
    }

    /// `POST /v1/dkim/keys` importing `pem` as a form field.
    pub async fn import_key(&self, domain: &str, selector: &str, pem: &str) -> Reply {
        let params = [
            ("signing_domain", domain),
            ("selector", selector),
            ("pem", pem),
        ];
        self.call(Method::POST, "/v1/dkim/keys", Via::UrlEncoded, &params)
            .await
    }

    /// `GET /v1/dkim/keys` with these query parameters.
    pub async fn list_keys(&self, params: &[(&str, &str)]) -> Reply {
        self.call(Method::GET, "/v1/dkim/keys", Via::Query, params)
            .await
    }

    /// The selectors `GET /v1/dkim/keys` lists for a domain (one page of 100).
    pub async fn selectors_of(&self, domain: &str) -> Vec<String> {
        let body = self
            .list_keys(&[("signing_domain", domain), ("limit", "100")])
            .await
            .expect(200);
        items(&body)
            .iter()
            .map(|item| item["selector"].as_str().expect("a selector").to_owned())
            .collect()
    }

    /// `PUT /v4/domains/{domain}/keys/{selector}/{action}`.
    pub async fn key_action(&self, domain: &str, selector: &str, action: &str) -> Reply {
        let path = format!("/v4/domains/{domain}/keys/{selector}/{action}");
        send(self.request(Method::PUT, &path)).await
    }

    /// Imports a key, publishes its record in the app's DNS and activates it;
    /// returns the create response.
    pub async fn import_active(&self, domain: &str, selector: &str, pem: &str) -> Value {
        let created = self.import_key(domain, selector, pem).await.expect(200);
        publish(self.app, &created["dns_record"]);
        self.key_action(domain, selector, "activate")
            .await
            .expect(200);
        created
    }

    /// `DELETE /v1/dkim/keys?signing_domain=&selector=`.
    pub async fn delete_key(&self, domain: &str, selector: &str) -> Reply {
        let params = [("signing_domain", domain), ("selector", selector)];
        self.call(Method::DELETE, "/v1/dkim/keys", Via::Query, &params)
            .await
    }

    /// `POST /v4/domains` with a 1024-bit first key under `selector`.
    pub async fn create_domain(&self, name: &str, selector: &str) -> Reply {
        let params = [
            ("name", name),
            ("dkim_key_size", "1024"),
            ("dkim_selector", selector),
        ];
        self.call(Method::POST, "/v4/domains", Via::UrlEncoded, &params)
            .await
    }

    /// `GET /v4/domains/{name}`.
    pub async fn domain(&self, name: &str) -> Reply {
        send(self.request(Method::GET, &format!("/v4/domains/{name}"))).await
    }

    /// `GET /v1/dkim/keys?signing_domain=`: the selectors listed, in order,
    /// with their `dns_record`s.
    pub async fn keys_of(&self, domain: &str) -> Vec<(String, Value)> {
        let path = format!("/v1/dkim/keys?signing_domain={domain}&limit=100");
        let answer = send(self.request(Method::GET, &path)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["items"]
            .as_array()
            .expect("items is an array")
            .iter()
            .map(|item| {
                assert_eq!(item["signing_domain"], domain, "{item}");
                let selector = item["selector"].as_str().expect("a selector").to_owned();
                (selector, item["dns_record"].clone())
            })
            .collect()
    }

    /// The selectors of [`Mailgun::keys_of`], in order.
    pub async fn listed_selectors(&self, domain: &str) -> Vec<String> {
        let keys = self.keys_of(domain).await;
        keys.into_iter().map(|(selector, _)| selector).collect()
    }

    /// The `_domainkey` TXT records of `GET /v4/domains/{name}`'s
    /// `sending_dns_records`, as (name, value).
    pub async fn domain_dkim_records(&self, name: &str) -> Vec<(String, String)> {
        let answer = send(self.request(Method::GET, &format!("/v4/domains/{name}"))).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["sending_dns_records"]
            .as_array()
            .expect("sending_dns_records is an array")
            .iter()
            .filter(|r| {
                r["record_type"] == "TXT"
                    && r["name"]
                        .as_str()
                        .is_some_and(|n| n.contains("._domainkey."))
            })
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["value"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

/// The `items` of a list answer.
#[track_caller]
pub fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().expect("items is an array")
}

/// Publishes a key's record (the `dns_record` of an answer) in the app's DNS,
/// cut into character-strings of at most 255 bytes as DNS providers do.
pub fn publish(app: &TestApp, dns_record: &Value) {
    let name = dns_record["name"].as_str().expect("a record name");
    let value = dns_record["value"].as_str().expect("a record value");
    app.dns.set_txt(name, vec![split(value)]);
}

/// The size in bits of the public key in a record value `k=rsa; p=...`.
pub fn record_bits(value: &str) -> usize {
    let p = value
        .strip_prefix("k=rsa; p=")
        .expect("Mailgun's record form");
    let der = STANDARD.decode(p).expect("base64 public key");
    let key = RsaPublicKey::from_public_key_der(&der).expect("a SubjectPublicKeyInfo");
    key.size() * 8
}
