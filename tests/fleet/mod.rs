//! The fleet key feed, `GET /fleet/v1/keys`: tokens, scope, ETags, the
//! cache and its invalidation, audit and rate limits (the console's fleet
//! endpoints are in `console::fleets`).

mod cache;
mod feed;
mod revocation;
mod rotation;

use reqwest::header::{AUTHORIZATION, ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::Value;
use signet_domain::{FleetDomains, FleetName, Origin};
use signet_tests::TestApp;

/// The feed's path.
pub const FEED: &str = "/fleet/v1/keys";

/// Makes a fleet of the app's tenant reading `domains`; returns its token.
pub async fn create_fleet(app: &TestApp, name: &str, domains: &str) -> String {
    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    let (_, token) = app
        .admin
        .create_fleet(
            &tenant,
            &Origin::cli(),
            &FleetName::parse(name).unwrap(),
            &FleetDomains::parse_list(domains).unwrap(),
        )
        .await
        .expect("the fleet is created");
    token.expose().to_owned()
}

/// One answer of the feed.
#[derive(Debug)]
pub struct Polled {
    /// Its status.
    pub status: StatusCode,
    /// Its ETag, if any.
    pub etag: Option<String>,
    /// Its body as text.
    pub text: String,
}

impl Polled {
    /// The body of a 200, as JSON.
    #[track_caller]
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        serde_json::from_str(&self.text).expect("a JSON feed")
    }

    /// The (domain, selector) pairs listed.
    #[track_caller]
    pub fn listed(&self) -> Vec<(String, String)> {
        self.ok()["keys"]
            .as_array()
            .expect("a key list")
            .iter()
            .map(|k| {
                (
                    k["domain"].as_str().unwrap().to_owned(),
                    k["selector"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

/// `GET /fleet/v1/keys` on `base_url` with `token`, and `If-None-Match` if given.
pub async fn poll_at(base_url: &str, token: &str, etag: Option<&str>) -> Polled {
    let mut request = reqwest::Client::new()
        .get(format!("{base_url}{FEED}"))
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(etag) = etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let response = request.send().await.expect("the server answers");
    Polled {
        status: response.status(),
        etag: response
            .headers()
            .get(ETAG)
            .map(|v| v.to_str().unwrap().to_owned()),
        text: response.text().await.unwrap(),
    }
}

/// `GET /fleet/v1/keys` on the app.
pub async fn poll(app: &TestApp, token: &str, etag: Option<&str>) -> Polled {
    poll_at(&app.base_url, token, etag).await
}
