//! Where the agent writes the keys: an OpenDKIM directory, rspamd's Redis
//! hashes, or a plain directory. Each writer compares the set it is given
//! with what is there, writes only the difference, and in an order that
//! never leaves a signer pointing at a key that is not (yet, or any more)
//! there.

mod dir;
mod files;
mod opendkim;
mod rspamd;

use signet_domain::{DomainName, KeyAlgorithm};

use super::feed::{Feed, FleetKey};

pub use dir::DirTarget;
pub use opendkim::OpenDkimTarget;
pub use rspamd::RspamdTarget;

/// One `--to`.
#[derive(Debug, Clone)]
pub enum Target {
    /// `opendkim:DIR`.
    OpenDkim(OpenDkimTarget),
    /// `rspamd-redis:redis://...`.
    Rspamd(RspamdTarget),
    /// `dir:DIR`.
    Dir(DirTarget),
}

impl Target {
    /// Parses `opendkim:DIR`, `rspamd-redis:URL` or `dir:DIR`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (kind, place) = s
            .split_once(':')
            .filter(|(_, place)| !place.is_empty())
            .ok_or_else(|| {
                format!("`{s}` is not a target: opendkim:DIR, rspamd-redis:URL or dir:DIR")
            })?;
        // Absolute: the tables and the manifest name key files by path.
        let dir = || {
            std::path::absolute(place).map_err(|e| format!("`{place}` is not a usable path: {e}"))
        };
        match kind {
            "opendkim" => Ok(Self::OpenDkim(OpenDkimTarget::new(dir()?))),
            "rspamd-redis" => RspamdTarget::parse(place).map(Self::Rspamd),
            "dir" => Ok(Self::Dir(DirTarget::new(dir()?))),
            other => Err(format!(
                "unknown target kind `{other}`: opendkim, rspamd-redis or dir"
            )),
        }
    }

    /// Writes `feed`; whether anything changed.
    pub async fn write(&self, feed: &Feed) -> anyhow::Result<bool> {
        match self {
            Self::OpenDkim(target) => {
                let target = target.clone();
                let feed = feed.clone();
                tokio::task::spawn_blocking(move || target.write(&feed)).await?
            }
            Self::Rspamd(target) => target.write(feed).await,
            Self::Dir(target) => {
                let target = target.clone();
                let feed = feed.clone();
                tokio::task::spawn_blocking(move || target.write(&feed)).await?
            }
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OpenDkim(t) => write!(f, "opendkim:{}", t.dir().display()),
            Self::Rspamd(t) => write!(f, "rspamd-redis:{}", t.redacted_url()),
            Self::Dir(t) => write!(f, "dir:{}", t.dir().display()),
        }
    }
}

/// A domain's signing keys, the one it signs with first: the key marked
/// `default_for_domain`, else RSA before Ed25519 (every verifier knows RSA),
/// then by selector.
pub fn signing_keys<'a>(feed: &'a Feed, domain: &DomainName) -> Vec<&'a FleetKey> {
    let mut keys: Vec<_> = feed
        .keys
        .iter()
        .filter(|k| k.signing && &k.domain == domain)
        .collect();
    keys.sort_by_key(|k| {
        (
            !k.default_for_domain,
            k.algorithm != KeyAlgorithm::Rsa,
            k.selector.folded(),
        )
    });
    keys
}

/// The feed's domains, each once, in order.
pub fn domains(feed: &Feed) -> Vec<&DomainName> {
    let mut domains: Vec<_> = feed.keys.iter().map(|k| &k.domain).collect();
    domains.sort();
    domains.dedup();
    domains
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tests::{feed, wire_key};

    #[test]
    fn the_three_kinds_of_target_are_recognised() {
        assert!(matches!(
            Target::parse("opendkim:/etc/dkim"),
            Ok(Target::OpenDkim(_))
        ));
        assert!(matches!(Target::parse("dir:keys"), Ok(Target::Dir(_))));
        assert!(matches!(
            Target::parse("rspamd-redis:redis://127.0.0.1:6379/2"),
            Ok(Target::Rspamd(_))
        ));
        for bad in [
            "opendkim:",
            "postfix:/etc",
            "/etc/dkim",
            "rspamd-redis:http://x",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_key_signs_first_else_the_first_selector() {
        let feed = feed(&[
            wire_key("a.example", "s1", "active", false),
            wire_key("a.example", "s2", "active", true),
            wire_key("a.example", "s3", "pending", false),
            wire_key("b.example", "x2", "active", false),
            wire_key("b.example", "x1", "active", false),
        ]);
        let a = DomainName::parse("a.example").unwrap();
        let b = DomainName::parse("b.example").unwrap();
        let selectors = |d| -> Vec<String> {
            signing_keys(&feed, d)
                .iter()
                .map(|k| k.selector.to_string())
                .collect()
        };
        assert_eq!(selectors(&a), ["s2", "s1"]);
        assert_eq!(selectors(&b), ["x1", "x2"]);
        assert_eq!(domains(&feed), [&a, &b]);
    }
}
