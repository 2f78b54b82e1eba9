//! Talking Mailgun to a test app: parameters in each place Mailgun's clients
//! put them, answers as status + JSON, PEM keys made once, DNS publishing.

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::header::HeaderMap;
use reqwest::multipart::Form;
use reqwest::{Method, RequestBuilder};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
pub use signet_tests::dns_server::split;
use signet_tests::TestApp;

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

/// A Mailgun answer.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The JSON body.
    pub body: Value,
}

impl Answer {
    /// Asserts a status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        self.body
    }

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

impl<'a> Mailgun<'a> {
    /// As the app's tenant.
    pub fn new(app: &'a TestApp) -> Self {
        Self::with_key(app, &app.api_key)
    }

    /// With another API key.
    pub fn with_key(app: &'a TestApp, key: &str) -> Self {
        Self {
            app,
            key: key.to_owned(),
        }
    }

    /// A request with this client's credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .basic_auth("api", Some(&self.key))
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

    /// Sends a request and reads its JSON answer.
    pub async fn send(request: RequestBuilder) -> Answer {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text:?}"));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Sends `method path` with `params` placed as `via` says.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        via: Via,
        params: &[(&str, &str)],
    ) -> Answer {
        Self::send(self.with_params(method, path, via, params)).await
    }

    /// `POST /v1/dkim/keys` generating a 1024-bit key.
    pub async fn create_key(&self, domain: &str, selector: &str) -> Answer {
        let params = [
            ("signing_domain", domain),
            ("selector", selector),
            ("bits", "1024"),
        ];
        self.call(Method::POST, "/v1/dkim/keys", Via::UrlEncoded, &params)
            .await
    }

    /// `POST /v1/dkim/keys` importing `pem` as a form field.
    pub async fn import_key(&self, domain: &str, selector: &str, pem: &str) -> Answer {
        let params = [
            ("signing_domain", domain),
            ("selector", selector),
            ("pem", pem),
        ];
        self.call(Method::POST, "/v1/dkim/keys", Via::UrlEncoded, &params)
            .await
    }

    /// `GET /v1/dkim/keys` with these query parameters.
    pub async fn list_keys(&self, params: &[(&str, &str)]) -> Answer {
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
    pub async fn key_action(&self, domain: &str, selector: &str, action: &str) -> Answer {
        let path = format!("/v4/domains/{domain}/keys/{selector}/{action}");
        Self::send(self.request(Method::PUT, &path)).await
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
    pub async fn delete_key(&self, domain: &str, selector: &str) -> Answer {
        let params = [("signing_domain", domain), ("selector", selector)];
        self.call(Method::DELETE, "/v1/dkim/keys", Via::Query, &params)
            .await
    }

    /// `POST /v4/domains` with a 1024-bit first key under `selector`.
    pub async fn create_domain(&self, name: &str, selector: &str) -> Answer {
        let params = [
            ("name", name),
            ("dkim_key_size", "1024"),
            ("dkim_selector", selector),
        ];
        self.call(Method::POST, "/v4/domains", Via::UrlEncoded, &params)
            .await
    }

    /// `GET /v4/domains/{name}`.
    pub async fn domain(&self, name: &str) -> Answer {
        Self::send(self.request(Method::GET, &format!("/v4/domains/{name}"))).await
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

/// An RSA key in the forms the tests send.
#[derive(Debug)]
pub struct Pem {
    /// `BEGIN RSA PRIVATE KEY`.
    pub pkcs1: String,
    /// `BEGIN PRIVATE KEY`.
    pub pkcs8: String,
    /// `BEGIN PUBLIC KEY`: not a private key.
    pub public_pem: String,
    /// The record value Signet must publish for it.
    pub record: String,
}

impl Pem {
    fn generate(bits: usize) -> Self {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).expect("RSA generation");
        let public = key.to_public_key();
        let der = public.to_public_key_der().expect("SPKI");
        Self {
            pkcs1: key
                .to_pkcs1_pem(LineEnding::LF)
                .expect("PKCS#1")
                .to_string(),
            pkcs8: key
                .to_pkcs8_pem(LineEnding::LF)
                .expect("PKCS#8")
                .to_string(),
            public_pem: public.to_public_key_pem(LineEnding::LF).expect("SPKI PEM"),
            record: format!("k=rsa; p={}", STANDARD.encode(der.as_bytes())),
        }
    }
}

/// Two distinct 1024-bit keys and a 512-bit one, made once per run.
pub async fn pems() -> &'static (Pem, Pem, Pem) {
    static PEMS: OnceLock<(Pem, Pem, Pem)> = OnceLock::new();
    if let Some(pems) = PEMS.get() {
        return pems;
    }
    tokio::task::spawn_blocking(|| {
        PEMS.get_or_init(|| (Pem::generate(1024), Pem::generate(1024), Pem::generate(512)))
    })
    .await
    .expect("key generation does not panic")
}
