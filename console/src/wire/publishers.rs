//! The wire types of `publishers.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::{PublishStatus, Publisher};
use utoipa::ToSchema;

/// Where and how Signet publishes an authority's records: an RFC 2136
/// primary and the TSIG key its update policy allows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPublisher {
    /// The primary name server's `ip:port`, such as `192.0.2.53:53`.
    #[schema(example = "192.0.2.53:53")]
    pub server: String,
    /// The zone the updates are for: the domain's authority or a parent of it.
    #[schema(example = "example.com")]
    pub zone: String,
    /// The TSIG key's name, as the server knows it.
    #[schema(example = "signet-update")]
    pub tsig_key_name: String,
    /// `hmac-sha256`, `hmac-sha384` or `hmac-sha512`.
    #[schema(example = "hmac-sha256")]
    pub tsig_algorithm: String,
    /// The key's secret in base64 (as `tsig-keygen` prints it). Sealed at
    /// rest and never shown again.
    #[schema(example = "c2VjcmV0IHNoYXJlZCB3aXRoIHRoZSBzZXJ2ZXI=")]
    pub tsig_secret: String,
}

/// How the last update went.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Set and not yet tried.
    Pending,
    /// The server took the last update.
    Ok,
    /// The last update failed; it is retried with backoff.
    Failing,
}

/// An authority's publisher, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublisherItem {
    /// The domain whose keys' records are published.
    pub authority: String,
    /// The primary name server's `ip:port`.
    pub server: String,
    /// The zone updated.
    pub zone: String,
    /// The TSIG key's name.
    pub tsig_key_name: String,
    /// The TSIG algorithm.
    pub tsig_algorithm: String,
    /// How the last update went.
    pub status: Status,
    /// Why the last update failed (`failing` only).
    pub last_error: Option<String>,
    /// When the server last took an update.
    pub last_published_at: Option<DateTime<Utc>>,
    /// The TXT record names Signet has written there.
    pub records: Vec<String>,
}

impl From<Publisher> for PublisherItem {
    fn from(p: Publisher) -> Self {
        Self {
            authority: p.authority.to_string(),
            server: p.config.server.to_string(),
            zone: p.config.zone.to_string(),
            tsig_key_name: p.config.key.name.to_string(),
            tsig_algorithm: p.config.key.algorithm.to_string(),
            status: match p.status {
                PublishStatus::Pending => Status::Pending,
                PublishStatus::Ok => Status::Ok,
                PublishStatus::Failing => Status::Failing,
            },
            last_error: p.last_error,
            last_published_at: p.last_published_at,
            records: p.written.into_iter().map(|r| r.name).collect(),
        }
    }
}
