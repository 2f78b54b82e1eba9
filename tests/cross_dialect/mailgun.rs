//! The few Mailgun calls these tests make, against its documented HTTP API.

use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use signet_tests::TestApp;

/// Talks Mailgun to one app as its tenant.
pub struct Mailgun<'a> {
    app: &'a TestApp,
}

/// A Mailgun answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl<'a> Mailgun<'a> {
    /// As the app's tenant.
    pub fn new(app: &'a TestApp) -> Self {
        Self { app }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .basic_auth("api", Some(&self.app.api_key))
    }

    async fn send(request: RequestBuilder) -> Answer {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text:?}"));
        Answer { status, body }
    }

    /// `POST /v1/dkim/keys` generating a 1024-bit key.
    pub async fn create_key(&self, domain: &str, selector: &str) -> Answer {
        let form = [
            ("signing_domain", domain),
            ("selector", selector),
            ("bits", "1024"),
        ];
        Self::send(self.request(Method::POST, "/v1/dkim/keys").form(&form)).await
    }

    /// `POST /v1/dkim/keys` importing `pem`.
    pub async fn import_key(&self, domain: &str, selector: &str, pem: &str) -> Answer {
        let form = [
            ("signing_domain", domain),
            ("selector", selector),
            ("pem", pem),
        ];
        Self::send(self.request(Method::POST, "/v1/dkim/keys").form(&form)).await
    }

    /// `GET /v1/dkim/keys?signing_domain=`: the selectors listed, in order,
    /// with their `dns_record`s.
    pub async fn keys_of(&self, domain: &str) -> Vec<(String, Value)> {
        let path = format!("/v1/dkim/keys?signing_domain={domain}&limit=100");
        let answer = Self::send(self.request(Method::GET, &path)).await;
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

    /// `DELETE /v1/dkim/keys?signing_domain=&selector=`.
    pub async fn delete_key(&self, domain: &str, selector: &str) -> Answer {
        let path = format!("/v1/dkim/keys?signing_domain={domain}&selector={selector}");
        Self::send(self.request(Method::DELETE, &path)).await
    }

    /// `POST /v4/domains` with a 1024-bit first key under `selector`.
    pub async fn create_domain(&self, name: &str, selector: &str) -> Answer {
        let form = [
            ("name", name),
            ("dkim_key_size", "1024"),
            ("dkim_selector", selector),
        ];
        Self::send(self.request(Method::POST, "/v4/domains").form(&form)).await
    }

    /// The `_domainkey` TXT records of `GET /v4/domains/{name}`'s
    /// `sending_dns_records`, as (name, value).
    pub async fn domain_dkim_records(&self, name: &str) -> Vec<(String, String)> {
        let answer = Self::send(self.request(Method::GET, &format!("/v4/domains/{name}"))).await;
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
