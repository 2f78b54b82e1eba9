//! Talking each dialect to a test app: [`TestApp::mailgun`] and
//! [`TestApp::greenarrow`] clients, and the one [`Reply`] both return.

pub mod greenarrow;
pub mod mailgun;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use crate::TestApp;

impl TestApp {
    /// A request as the tenant owning `api_key` (`Authorization: Basic api:KEY`).
    pub fn request_as(&self, method: Method, path: &str, api_key: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth("api", Some(api_key))
    }

    /// The served OpenAPI document of `dialect` (`mailgun`, `greenarrow`).
    pub async fn openapi(&self, dialect: &str) -> Value {
        let path = format!("/openapi/{dialect}.json");
        let response = self.client.get(self.url(&path)).send().await;
        let response = response.expect("the server answers");
        response.json().await.expect("a JSON document")
    }
}

/// The headers both dialects' documents declare on a 429.
pub const RATE_LIMIT_HEADERS: [&str; 4] = [
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
];

/// An answer, parsed: what every dialect client returns.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The JSON body.
    pub body: Value,
    /// The body as sent.
    pub text: String,
}

impl Reply {
    /// Asserts a status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        self.body
    }
}

/// Sends a request and reads its JSON answer; panics if the body is not JSON.
pub async fn send(request: RequestBuilder) -> Reply {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a readable body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text:?}"));
    Reply {
        status,
        headers,
        body,
        text,
    }
}
