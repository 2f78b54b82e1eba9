//! Publishing into the tenant's own DNS (issue 21): BIND 9 on loopback is
//! the tenant's primary, taking RFC 2136 updates signed with TSIG, and
//! Signet's resolver asks it. Keys made in either dialect appear there,
//! deleted and retired ones leave, records Signet did not write stay, a
//! wrong secret shows as `failing` and changes nothing, and a rotation
//! completes with no human step.

mod bind;
mod console;
mod rotation;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use signet_api::startup::open_storage;
use signet_console::{BuiltInIssuer, Grant, Role};
use signet_testkit::dns_query::{soa_serial, txt};
use signet_testkit::{Bind, TsigKey, ZoneFile};
use signet_tests::{eventually, spawn_app_with, AppOptions, Backend, TestApp};

/// The tenant's zone, and the domain whose keys are published.
const ZONE: &str = "example.test";
/// A TXT record Signet never wrote, at a name it writes to.
const SPF: &str = "v=spf1 -all";
/// How soon a change must reach the zone.
const SOON: Duration = Duration::from_secs(10);

/// The tenant's primary and the app publishing into it.
struct Published {
    app: TestApp,
    bind: Bind,
    key: TsigKey,
    token: String,
}

/// BIND serving `example.test` (with an SPF TXT at `mg._domainkey` and at
/// the apex), writable with a fresh key, and an app resolving through it.
async fn start(configure: Option<fn(&mut signet_api::Settings)>) -> Option<Published> {
    start_on(Backend::Sqlite, configure).await
}

/// [`start`] on `backend`.
async fn start_on(
    backend: Backend,
    configure: Option<fn(&mut signet_api::Settings)>,
) -> Option<Published> {
    if !Bind::available() {
        signet_testkit::skip("named, nsupdate or dig is missing");
        return None;
    }
    let key = TsigKey::generate("signet-update");
    let zone = ZoneFile::new(ZONE).txt("@", SPF).txt("mg._domainkey", SPF);
    let bind = Bind::primary(&zone, &key).await;
    let app = spawn_app_with(AppOptions {
        backend,
        dns_servers: Some(vec![bind.addr()]),
        configure,
        ..AppOptions::default()
    })
    .await;
    let token = admin_token(&app).await;
    Some(Published {
        app,
        bind,
        key,
        token,
    })
}

/// A console token of an admin of the app's tenant, from the built-in issuer.
async fn admin_token(app: &TestApp) -> String {
    let storage = open_storage(&app.settings).await.unwrap();
    let issuer = BuiltInIssuer::of(|purpose| storage.derive_secret(purpose));
    let grant = Grant {
        subject: "dns@example.test".into(),
        tenant: Some("acme".into()),
        role: Role::Admin,
    };
    issuer.mint(&grant, Duration::from_secs(600)).unwrap()
}

impl Published {
    /// `PUT /console/v1/domains/example.test/publisher` with the BIND
    /// address and this secret.
    async fn set_publisher(&self, secret: &str) -> (StatusCode, Value) {
        self.set_publisher_at(&self.bind.addr().to_string(), secret)
            .await
    }

    /// The same with another server.
    async fn set_publisher_at(&self, server: &str, secret: &str) -> (StatusCode, Value) {
        let body = json!({
            "server": server,
            "zone": ZONE,
            "tsig_key_name": self.key.name(),
            "tsig_algorithm": "hmac-sha256",
            "tsig_secret": secret,
        });
        self.console(Method::PUT, Some(body)).await
    }

    /// The publisher as the console shows it.
    async fn publisher(&self) -> Value {
        let (status, body) = self.console(Method::GET, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn console(&self, method: Method, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .app
            .client
            .request(
                method,
                self.app
                    .url(&format!("/console/v1/domains/{ZONE}/publisher")),
            )
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Waits until the publisher's status is `status`.
    async fn status_becomes(&self, status: &str) -> Value {
        eventually(SOON, &format!("publisher {status}"), || async {
            let body = self.publisher().await;
            (body["status"] == status).then_some(body)
        })
        .await
    }

    /// The TXT values BIND serves at `selector._domainkey.example.test`.
    async fn txt_at(&self, selector: &str) -> Vec<String> {
        txt(self.bind.addr(), &format!("{selector}._domainkey.{ZONE}.")).await
    }

    /// Waits until BIND serves exactly `values` (sorted) at the selector.
    async fn serves(&self, selector: &str, values: &[&str]) {
        let mut expected: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        expected.sort();
        let what = format!("{selector}._domainkey.{ZONE} serving {expected:?}");
        eventually(SOON, &what, || async {
            (self.txt_at(selector).await == expected).then_some(())
        })
        .await;
    }

    /// The zone's SOA serial now.
    async fn serial(&self) -> Option<u32> {
        soa_serial(self.bind.addr(), &format!("{ZONE}.")).await
    }
}

/// The DNS record value of the key `selector` of example.test, as the
/// Mailgun dialect lists it.
async fn record_value(app: &TestApp, selector: &str) -> String {
    let keys = app
        .mailgun()
        .list_keys(&[("signing_domain", ZONE), ("selector", selector)])
        .await;
    let items = keys.expect(200)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let key = items
        .iter()
        .find(|k| k["selector"] == selector)
        .unwrap_or_else(|| panic!("key {selector} in {items:?}"));
    key["dns_record"]["value"].as_str().unwrap().to_owned()
}
