//! The feed's body as signers read it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use signet_domain::FleetFeed;
use utoipa::ToSchema;
use zeroize::Zeroizing;

/// What a fleet reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedBody {
    /// The fleet's name.
    pub(crate) fleet: String,
    /// The keys its signers need, by domain then selector.
    pub(crate) keys: Vec<FeedItem>,
}

/// One key, with its private half (wiped when dropped; `Debug` omits it).
#[derive(Serialize, ToSchema)]
pub struct FeedItem {
    /// The signing domain (`d=`).
    domain: String,
    /// The selector (`s=`).
    selector: String,
    /// `rsa` or `ed25519`.
    algorithm: String,
    /// `pending` (published, not yet signing), `active` or `retiring`
    /// (still verifiable, no longer signing).
    stage: String,
    /// Whether signers sign with it now: stage `active`.
    signing: bool,
    /// The key its domain signs with when several sign.
    default_for_domain: bool,
    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), for either algorithm.
    #[serde(serialize_with = "expose")]
    #[schema(value_type = String)]
    pub(crate) private_key: Zeroizing<String>,
    /// The TXT record that publishes its public half.
    dns_record: FeedDnsRecord,
    /// When the key last changed.
    updated_at: DateTime<Utc>,
}

impl fmt::Debug for FeedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedItem")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .field("stage", &self.stage)
            .field("signing", &self.signing)
            .field("default_for_domain", &self.default_for_domain)
            .field("private_key", &"[redacted]")
            .field("dns_record", &self.dns_record)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

fn expose<S: serde::Serializer>(pem: &Zeroizing<String>, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(pem)
}

/// A DKIM TXT record.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDnsRecord {
    /// `{selector}._domainkey.{domain}`.
    name: String,
    /// The record's value, unsplit.
    value: String,
}

impl FeedBody {
    /// The body of `feed`.
    pub fn of(feed: &FleetFeed) -> Self {
        let keys = feed
            .keys
            .iter()
            .map(|served| {
                let key = &served.key;
                let record = key.dns_record();
                FeedItem {
                    domain: key.signing_domain.to_string(),
                    selector: key.selector.to_string(),
                    algorithm: key.algorithm.as_str().to_owned(),
                    stage: key.stage.as_str().to_owned(),
                    signing: served.signing(),
                    default_for_domain: key.default_for_domain,
                    private_key: served.private_key.to_pkcs8_pem(),
                    dns_record: FeedDnsRecord {
                        name: record.name,
                        value: record.value,
                    },
                    updated_at: key.updated_at,
                }
            })
            .collect();
        Self {
            fleet: feed.access.fleet.name.to_string(),
            keys,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_item_debugs_without_its_private_key() {
        let item = FeedItem {
            domain: "a.example".into(),
            selector: "s1".into(),
            algorithm: "rsa".into(),
            stage: "active".into(),
            signing: true,
            default_for_domain: true,
            private_key: Zeroizing::new("-----BEGIN PRIVATE KEY-----secret".into()),
            dns_record: FeedDnsRecord {
                name: "s1._domainkey.a.example".into(),
                value: "v=DKIM1".into(),
            },
            updated_at: Utc::now(),
        };
        let shown = format!("{item:?}");
        assert!(
            !shown.contains("secret") && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
