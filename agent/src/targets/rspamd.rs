//! `rspamd-redis:redis://HOST:PORT[/DB][?key_prefix=..&selector_prefix=..]`:
//! the hashes rspamd's `dkim_signing` reads with `use_redis = true`.
//!
//! ```text
//! HSET DKIM_KEYS <selector>.<domain> <PEM>
//! HSET DKIM_SELECTORS <domain> <selector>
//! ```
//!
//! rspamd 3.4 reads RSA keys as PEM but Ed25519 keys only as the base64 of
//! their 32-byte seed, so that is what an Ed25519 key's field holds.
//!
//! The agent records what it wrote in a set of its own,
//! `<key_prefix>:signet:<fleet>`, so it removes only what it put there: a
//! Redis shared with other writers keeps their keys.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands as _;
use reqwest::Url;
use signet_domain::KeyAlgorithm;

use super::{domains, signing_keys};
use crate::feed::Feed;

/// rspamd's default name of the hash of keys.
const DEFAULT_KEY_PREFIX: &str = "DKIM_KEYS";
/// rspamd's default name of the hash of selectors.
const DEFAULT_SELECTOR_PREFIX: &str = "DKIM_SELECTORS";
/// Longest the connection and each command may take.
const REDIS_TIMEOUT: Duration = Duration::from_secs(10);

/// A Redis that rspamd signs from.
#[derive(Debug, Clone)]
pub struct RspamdTarget {
    client: redis::Client,
    redacted: String,
    key_prefix: String,
    selector_prefix: String,
}

/// What rspamd should find: every key, and one selector per domain that signs.
#[derive(Debug, PartialEq)]
struct Desired {
    keys: BTreeMap<String, String>,
    selectors: BTreeMap<String, String>,
}

/// The DER of a PKCS#8 Ed25519 key (RFC 8410) up to its seed: the version
/// (0, or 1 with the public key appended), the algorithm, the octet strings.
const ED25519_PKCS8_HEAD: [u8; 11] = [
    0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl RspamdTarget {
    /// Parses `redis://...` with the optional hash names in its query.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut url = Url::parse(s).map_err(|e| format!("`{s}` is not a Redis URL: {e}"))?;
        if !matches!(url.scheme(), "redis" | "rediss") {
            return Err(format!("`{s}` is not a Redis URL (redis://HOST:PORT)"));
        }
        let mut key_prefix = DEFAULT_KEY_PREFIX.to_owned();
        let mut selector_prefix = DEFAULT_SELECTOR_PREFIX.to_owned();
        for (name, value) in url.query_pairs() {
            match &*name {
                "key_prefix" if !value.is_empty() => key_prefix = value.into_owned(),
                "selector_prefix" if !value.is_empty() => selector_prefix = value.into_owned(),
                other => {
                    return Err(format!(
                        "`{other}` in the Redis URL: only key_prefix and selector_prefix, not empty"
                    ))
                }
            }
        }
        url.set_query(None);
        let mut redacted = url.clone();
        if redacted.password().is_some() {
            let _ = redacted.set_password(Some("***"));
        }
        let client = redis::Client::open(url.as_str()).map_err(|e| format!("`{s}`: {e}"))?;
        Ok(Self {
            client,
            redacted: redacted.to_string(),
            key_prefix,
            selector_prefix,
        })
    }

    /// The URL without its password.
    pub fn redacted_url(&self) -> &str {
        &self.redacted
    }

    /// Brings the hashes to the feed: new keys first, then the selectors
    /// that switch to them, then the selectors and keys that went; whether
    /// anything changed.
    pub async fn write(&self, feed: &Feed) -> anyhow::Result<bool> {
        tokio::time::timeout(REDIS_TIMEOUT, self.apply(feed))
            .await
            .with_context(|| format!("{} did not answer within {REDIS_TIMEOUT:?}", self.redacted))?
            .with_context(|| format!("cannot write to {}", self.redacted))
    }

    async fn apply(&self, feed: &Feed) -> anyhow::Result<bool> {
        let mut redis = self.client.get_multiplexed_async_connection().await?;
        let desired = desired(feed)?;
        let managed_set = format!("{}:signet:{}", self.key_prefix, feed.fleet);
        let managed: HashSet<String> = redis.smembers(&managed_set).await?;
        let keys: HashMap<String, String> = redis.hgetall(&self.key_prefix).await?;
        let selectors: HashMap<String, String> = redis.hgetall(&self.selector_prefix).await?;

        // Recorded before written, so that a crash in between leaves
        // nothing this agent wrote unrecorded.
        let now: HashSet<String> = desired
            .keys
            .keys()
            .map(|f| format!("key:{f}"))
            .chain(desired.selectors.keys().map(|d| format!("selector:{d}")))
            .collect();
        if !now.is_empty() {
            let members: Vec<&String> = now.iter().collect();
            let _: () = redis.sadd(&managed_set, &members).await?;
        }

        let new_keys: Vec<(&str, &str)> = desired
            .keys
            .iter()
            .filter(|(field, value)| keys.get(*field) != Some(*value))
            .map(|(field, value)| (field.as_str(), value.as_str()))
            .collect();
        let switched: Vec<(&str, &str)> = desired
            .selectors
            .iter()
            .filter(|(domain, selector)| selectors.get(*domain) != Some(*selector))
            .map(|(domain, selector)| (domain.as_str(), selector.as_str()))
            .collect();
        // A domain of the feed, or one this agent wrote, that no longer signs.
        let feed_domains: HashSet<&str> = domains(feed).iter().map(|d| d.as_str()).collect();
        let gone_selectors: Vec<&str> = selectors
            .keys()
            .map(String::as_str)
            .filter(|d| !desired.selectors.contains_key(*d))
            .filter(|d| feed_domains.contains(d) || managed.contains(&format!("selector:{d}")))
            .collect();
        let gone_keys: Vec<&str> = keys
            .keys()
            .map(String::as_str)
            .filter(|f| !desired.keys.contains_key(*f) && managed.contains(&format!("key:{f}")))
            .collect();

        hset(&mut redis, &self.key_prefix, &new_keys).await?;
        hset(&mut redis, &self.selector_prefix, &switched).await?;
        if !gone_selectors.is_empty() {
            let _: () = redis.hdel(&self.selector_prefix, &gone_selectors).await?;
        }
        if !gone_keys.is_empty() {
            let _: () = redis.hdel(&self.key_prefix, &gone_keys).await?;
        }
        let stale: Vec<&String> = managed.iter().filter(|m| !now.contains(*m)).collect();
        if !stale.is_empty() {
            let _: () = redis.srem(&managed_set, &stale).await?;
        }
        Ok(!(new_keys.is_empty()
            && switched.is_empty()
            && gone_selectors.is_empty()
            && gone_keys.is_empty()))
    }
}

async fn hset(
    redis: &mut MultiplexedConnection,
    hash: &str,
    fields: &[(&str, &str)],
) -> redis::RedisResult<()> {
    if fields.is_empty() {
        return Ok(());
    }
    redis.hset_multiple(hash, fields).await
}

/// Every key under `<selector>.<domain>`; per domain, the selector of its
/// first signing key (rspamd signs with one).
fn desired(feed: &Feed) -> anyhow::Result<Desired> {
    let keys = feed
        .keys
        .iter()
        .map(|k| {
            let pem = k.private_key.expose();
            let value = match k.algorithm {
                KeyAlgorithm::Rsa => pem.to_owned(),
                KeyAlgorithm::Ed25519 => ed25519_seed(pem).with_context(|| {
                    format!("the Ed25519 key {}.{} is not PKCS#8", k.selector, k.domain)
                })?,
            };
            Ok((format!("{}.{}", k.selector, k.domain), value))
        })
        .collect::<anyhow::Result<_>>()?;
    let selectors = domains(feed)
        .into_iter()
        .filter_map(|d| {
            let first = signing_keys(feed, d).into_iter().next()?;
            Some((d.to_string(), first.selector.to_string()))
        })
        .collect();
    Ok(Desired { keys, selectors })
}

/// The base64 of the seed of a PKCS#8 PEM Ed25519 key, the form rspamd reads.
fn ed25519_seed(pem: &str) -> Option<String> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = STANDARD.decode(body.trim()).ok()?;
    let seed = der
        .get(16..48)
        .filter(|_| der.get(5..16) == Some(&ED25519_PKCS8_HEAD))?;
    Some(STANDARD.encode(seed))
}

#[cfg(test)]
mod tests {
    use signet_testkit::RedisConfig;

    use super::*;
    use crate::feed::tests::{feed, wire_key};

    #[test]
    fn the_hash_names_come_from_the_query_and_the_password_is_hidden() {
        let t =
            RspamdTarget::parse("redis://:secret@127.0.0.1:6379/3?key_prefix=K&selector_prefix=S")
                .unwrap();
        assert_eq!(
            (t.key_prefix.as_str(), t.selector_prefix.as_str()),
            ("K", "S")
        );
        assert!(!t.redacted_url().contains("secret"), "{}", t.redacted_url());
        let d = RspamdTarget::parse("redis://127.0.0.1").unwrap();
        assert_eq!(d.key_prefix, "DKIM_KEYS");
        assert!(RspamdTarget::parse("redis://127.0.0.1?other=1").is_err());
    }

    #[test]
    fn each_domain_gets_the_selector_of_its_first_signing_key() {
        let feed = feed(&[
            wire_key("a.example", "new", "pending", false),
            wire_key("a.example", "old", "active", true),
            wire_key("b.example", "gone", "retiring", false),
        ]);
        let desired = desired(&feed).unwrap();
        assert_eq!(desired.keys.len(), 3);
        assert_eq!(
            desired.selectors.into_iter().collect::<Vec<_>>(),
            [("a.example".to_owned(), "old".to_owned())]
        );
    }

    #[test]
    fn an_ed25519_key_goes_to_rspamd_as_its_seed() {
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEIFxMhJG2xVeZwcPRxsfpIeF7VqZ2EWgwMOlOGjdjipww\n\
                   -----END PRIVATE KEY-----\n";
        assert_eq!(
            ed25519_seed(pem).as_deref(),
            Some("XEyEkbbFV5nBw9HGx+kh4XtWpnYRaDAw6U4aN2OKnDA=")
        );
        assert_eq!(ed25519_seed("-----BEGIN PRIVATE KEY-----\nAAAA\n"), None);
    }

    #[tokio::test]
    async fn the_hashes_follow_the_feed_and_keep_what_others_wrote() {
        let Some(redis) = RedisConfig::from_env() else {
            return;
        };
        let (keys, selectors) = (
            format!("{}DKIM_KEYS", redis.key_prefix),
            format!("{}DKIM_SELECTORS", redis.key_prefix),
        );
        let target = RspamdTarget::parse(&format!(
            "{}?key_prefix={keys}&selector_prefix={selectors}",
            redis.url
        ))
        .unwrap();
        let mut conn = target
            .client
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let _: () = conn.hset(&keys, "x.other.example", "theirs").await.unwrap();
        let _: () = conn.hset(&selectors, "other.example", "x").await.unwrap();

        let first = feed(&[wire_key("a.example", "s1", "active", true)]);
        assert!(target.write(&first).await.unwrap());
        assert!(!target.write(&first).await.unwrap());
        let sel: Option<String> = conn.hget(&selectors, "a.example").await.unwrap();
        assert_eq!(sel.as_deref(), Some("s1"));
        let pem: String = conn.hget(&keys, "s1.a.example").await.unwrap();
        assert_eq!(pem, first.keys[0].private_key.expose());

        let rotated = feed(&[wire_key("a.example", "s2", "active", true)]);
        assert!(target.write(&rotated).await.unwrap());
        let all: HashMap<String, String> = conn.hgetall(&keys).await.unwrap();
        let mut fields: Vec<_> = all.keys().cloned().collect();
        fields.sort();
        assert_eq!(fields, ["s2.a.example", "x.other.example"]);
        let sel: Option<String> = conn.hget(&selectors, "a.example").await.unwrap();
        assert_eq!(sel.as_deref(), Some("s2"));

        let none = feed(&[]);
        assert!(target.write(&none).await.unwrap());
        let all: HashMap<String, String> = conn.hgetall(&keys).await.unwrap();
        assert_eq!(all.len(), 1, "only the other writer's key is left");
        let all: HashMap<String, String> = conn.hgetall(&selectors).await.unwrap();
        assert_eq!(
            all.into_iter().collect::<Vec<_>>(),
            [("other.example".into(), "x".into())]
        );
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .arg(&selectors)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}
