//! Shared state over HTTP: the authentication cache across nodes, the
//! read model of the keys, per-API-key rate limits, the DNS cache, the
//! background DNS re-check, a Redis outage under load, and benchmarks.

mod auth_cache;
mod benchmarks;
mod dns_cache;
mod key_reads;
mod rate_limits;
mod recheck;
mod redis_outage;

use std::time::Duration;

use reqwest::Client;
use serde_json::Value;
use signet_api::Settings;
pub use signet_tests::eventually;

/// The `dns_record.valid` Mailgun shows for the key (domain, selector) of the
/// tenant whose API key is `key`, on the server at `base_url`.
pub async fn validity(base_url: &str, key: &str, domain: &str, selector: &str) -> String {
    let body: Value = Client::new()
        .get(format!("{base_url}/v1/dkim/keys"))
        .basic_auth("api", Some(key))
        .query(&[("signing_domain", domain), ("selector", selector)])
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body");
    body["items"][0]["dns_record"]["valid"]
        .as_str()
        .unwrap_or_else(|| panic!("no such key: {body}"))
        .to_owned()
}

/// Background re-checks every ~200 ms.
pub fn fast_recheck(settings: &mut Settings) {
    settings.dns_recheck.interval = Duration::from_millis(200);
}
