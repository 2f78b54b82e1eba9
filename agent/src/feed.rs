//! The fleet feed as the agent reads it: `GET /fleet/v1/keys` polled with
//! `If-None-Match`, its body checked before anything reaches a signer.

use std::fmt;

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, ETAG, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use signet_domain::{DomainName, KeyAlgorithm, KeyStage, Selector};
use zeroize::Zeroizing;

use crate::transport::Transport;

/// The feed's path under the server's URL.
const FEED_PATH: &str = "/fleet/v1/keys";

/// Why a poll brought no feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The token is missing, unknown or revoked.
    #[error("the fleet token was refused (401): revoked, or not a fleet token")]
    Unauthorized,
    /// Any other answer than 200, 304 or 401.
    #[error("the feed answered {0}")]
    Status(StatusCode),
    /// Signet could not be reached or the answer was cut short.
    #[error("the feed could not be read")]
    Transport(#[from] reqwest::Error),
    /// A 200 whose body is larger than `--max-feed-bytes`; the rest of it
    /// is not read.
    #[error("the feed's body is over --max-feed-bytes ({0} bytes)")]
    TooLarge(u64),
    /// A 200 whose body is not a feed this agent can write.
    #[error("the feed's body is not valid")]
    Body(#[source] serde_json::Error),
    /// A key whose names could reach outside the targets, or not a DKIM key.
    #[error("the feed's key {index} is not valid: {reason}")]
    Key {
        /// Its place in `keys`.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// What one poll found.
#[derive(Debug)]
pub enum Poll {
    /// A feed different from the one named by the ETag sent.
    Changed {
        /// The keys.
        feed: Feed,
        /// Its ETag, for the next poll's `If-None-Match`.
        etag: Option<String>,
    },
    /// 304: the set written last is still current.
    NotModified,
}

/// The fleet's keys, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// The fleet's name.
    pub fleet: String,
    /// Ordered by domain, then selector.
    pub keys: Vec<FleetKey>,
}

/// One key of the feed, its names parsed, so that none can name a path
/// outside a target's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetKey {
    /// The signing domain (`d=`), one of the fleet's.
    pub domain: DomainName,
    /// `s=`; the key file's name in the targets.
    pub selector: Selector,
    /// RSA or Ed25519: which OpenDKIM table, and which form for rspamd.
    pub algorithm: KeyAlgorithm,
    /// Pending, active or retiring.
    pub stage: KeyStage,
    /// Whether the key signs (stage active); the others are published keys
    /// a signer may hold without using.
    pub signing: bool,
    /// The domain's default signing key, where it has several.
    pub default_for_domain: bool,
    /// PKCS#8 PEM, whatever the algorithm.
    pub private_key: PrivatePem,
    /// What verifiers find in DNS, for the `dir` manifest.
    pub dns_record: DnsRecord,
    /// When Signet last changed the key.
    pub updated_at: DateTime<Utc>,
}

/// A PKCS#8 PEM private key, wiped when dropped; its `Debug` prints
/// nothing of it.
#[derive(Clone, PartialEq)]
pub struct PrivatePem(Zeroizing<String>);

impl<'de> Deserialize<'de> for PrivatePem {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
        String::deserialize(from).map(|pem| Self(Zeroizing::new(pem)))
    }
}

impl PrivatePem {
    /// The PEM text, for a signer's key file.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivatePem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivatePem([redacted])")
    }
}

/// The TXT record that publishes a key.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DnsRecord {
    /// `<selector>._domainkey.<domain>`.
    pub name: String,
    /// `v=DKIM1; k=...; p=...`.
    pub value: String,
}

#[derive(Deserialize)]
struct WireFeed {
    fleet: String,
    keys: Vec<WireKey>,
}

#[derive(Deserialize)]
struct WireKey {
    domain: String,
    selector: String,
    algorithm: String,
    stage: String,
    signing: bool,
    #[serde(default)]
    default_for_domain: bool,
    private_key: PrivatePem,
    dns_record: DnsRecord,
    updated_at: DateTime<Utc>,
}

impl Feed {
    /// Parses and checks a feed body.
    pub fn parse(body: &[u8]) -> Result<Self, FeedError> {
        let wire: WireFeed = serde_json::from_slice(body).map_err(FeedError::Body)?;
        let keys = wire
            .keys
            .into_iter()
            .enumerate()
            .map(|(index, key)| {
                FleetKey::try_from(key).map_err(|reason| FeedError::Key { index, reason })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            fleet: wire.fleet,
            keys,
        })
    }
}

impl TryFrom<WireKey> for FleetKey {
    type Error = String;

    fn try_from(key: WireKey) -> Result<Self, String> {
        let domain = DomainName::parse(&key.domain).map_err(|e| format!("domain {e}"))?;
        let selector = Selector::parse(&key.selector).map_err(|e| format!("selector {e}"))?;
        let algorithm = key
            .algorithm
            .parse()
            .map_err(|e| format!("algorithm {e}"))?;
        let stage = key.stage.parse().map_err(|e| format!("stage {e}"))?;
        if !key.private_key.0.trim_start().starts_with("-----BEGIN ") {
            return Err("private_key is not PEM".into());
        }
        Ok(Self {
            domain,
            selector,
            algorithm,
            stage,
            signing: key.signing,
            default_for_domain: key.default_for_domain,
            private_key: key.private_key,
            dns_record: key.dns_record,
            updated_at: key.updated_at,
        })
    }
}

/// Polls one fleet's feed.
pub struct FeedClient {
    http: reqwest::Client,
    url: Url,
    token: SecretString,
    max_bytes: u64,
}

impl FeedClient {
    /// A client of the feed of the Signet at `base_url`
    /// (`https://signet.example`), authenticated by `token`, reaching it
    /// as `transport` allows.
    pub fn new(base_url: &str, token: SecretString, transport: &Transport) -> anyhow::Result<Self> {
        let url = format!("{}{FEED_PATH}", base_url.trim_end_matches('/'));
        let url = Url::parse(&url).map_err(|e| anyhow::anyhow!("--url {base_url}: {e}"))?;
        Ok(Self {
            http: transport.client(&url)?,
            url,
            token,
            max_bytes: transport.max_feed_bytes,
        })
    }

    /// Asks for the feed, sending `etag` as `If-None-Match`.
    pub async fn poll(&self, etag: Option<&str>) -> Result<Poll, FeedError> {
        let mut request = self.http.get(self.url.clone()).header(
            AUTHORIZATION,
            format!("Bearer {}", self.token.expose_secret()),
        );
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let mut response = request.send().await?;
        match response.status() {
            StatusCode::OK => {
                let etag = response
                    .headers()
                    .get(ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = self.body(&mut response).await?;
                Ok(Poll::Changed {
                    feed: Feed::parse(&body)?,
                    etag,
                })
            }
            StatusCode::NOT_MODIFIED => Ok(Poll::NotModified),
            StatusCode::UNAUTHORIZED => Err(FeedError::Unauthorized),
            other => Err(FeedError::Status(other)),
        }
    }

    /// The body, read chunk by chunk up to the cap, so that memory stays
    /// bounded whatever the server sends. It holds every private key:
    /// wiped once parsed.
    async fn body(
        &self,
        response: &mut reqwest::Response,
    ) -> Result<Zeroizing<Vec<u8>>, FeedError> {
        let announced = response.content_length().unwrap_or(0);
        if announced > self.max_bytes {
            return Err(FeedError::TooLarge(self.max_bytes));
        }
        // Reserved whole when announced: a growing Vec would leave copies
        // of the keys behind in the buffers it outgrew.
        let reserve = usize::try_from(announced).unwrap_or(0);
        let mut body = Zeroizing::new(Vec::with_capacity(reserve));
        while let Some(chunk) = response.chunk().await? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(FeedError::TooLarge(self.max_bytes));
            }
            if body.len() + chunk.len() > body.capacity() {
                let cap = usize::try_from(self.max_bytes).unwrap_or(usize::MAX);
                let wanted = (body.capacity() * 2).clamp(body.len() + chunk.len(), cap);
                let mut larger = Zeroizing::new(Vec::with_capacity(wanted));
                larger.extend_from_slice(&body);
                body = larger;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A feed key as the server sends it.
    pub(crate) fn wire_key(domain: &str, selector: &str, stage: &str, default: bool) -> String {
        let signing = stage == "active";
        format!(
            r#"{{"domain":"{domain}","selector":"{selector}","algorithm":"rsa","stage":"{stage}",
               "signing":{signing},"default_for_domain":{default},
               "private_key":"-----BEGIN PRIVATE KEY-----\n{selector}.{domain}\n-----END PRIVATE KEY-----\n",
               "dns_record":{{"name":"{selector}._domainkey.{domain}","value":"v=DKIM1; k=rsa; p=AAAA"}},
               "updated_at":"2026-11-29T06:00:00Z"}}"#
        )
    }

    /// Like [`wire_key`], an Ed25519 key.
    pub(crate) fn ed25519_key(domain: &str, selector: &str, stage: &str, default: bool) -> String {
        wire_key(domain, selector, stage, default)
            .replace(r#""algorithm":"rsa""#, r#""algorithm":"ed25519""#)
    }

    /// A parsed feed of `keys` (from [`wire_key`]).
    pub(crate) fn feed(keys: &[String]) -> Feed {
        let body = format!(r#"{{"fleet":"mta-eu","keys":[{}]}}"#, keys.join(","));
        Feed::parse(body.as_bytes()).expect("a valid feed")
    }

    #[test]
    fn a_feed_is_parsed_with_its_names_checked() {
        let feed = feed(&[wire_key("example.com", "s1", "active", true)]);
        assert_eq!(feed.fleet, "mta-eu");
        let key = &feed.keys[0];
        assert_eq!(key.domain.as_str(), "example.com");
        assert_eq!(key.stage, KeyStage::Active);
        assert!(key.signing && key.default_for_domain);
    }

    #[test]
    fn a_selector_that_would_climb_out_of_a_directory_is_refused() {
        let body = format!(
            r#"{{"fleet":"f","keys":[{}]}}"#,
            wire_key("example.com", "../../etc", "active", true)
        );
        let error = Feed::parse(body.as_bytes()).unwrap_err();
        assert!(matches!(error, FeedError::Key { index: 0, .. }), "{error}");
    }

    #[test]
    fn a_private_key_never_shows_in_debug_output() {
        let feed = feed(&[wire_key("example.com", "s1", "active", true)]);
        let shown = format!("{feed:?}");
        assert!(!shown.contains("BEGIN PRIVATE KEY"), "{shown}");
    }
}
