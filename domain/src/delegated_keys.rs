//! A delegated authority's side of Automatic Sender Security: the CNAMEs
//! its tenant publishes once, and which selector of its pair the next key
//! of a rotation takes.
//!
//! Each algorithm of the authority has a pair of selectors (`pdk1`/`pdk2`
//! for RSA). The active key holds one; a rotation's pending key takes the
//! other (the idle one), so every key is served under a name a CNAME
//! already points at. A retired key still holding the idle selector is
//! deleted first: it is no longer served and cannot sign. A retiring key
//! holding it is still served, so the rotation waits until it retires: with
//! a rotation interval shorter than `retire_after`, rotations happen every
//! `max(interval, retire_after)`.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::algorithm::{KeyAlgorithm, KeyStage};
use crate::delegation::{selector_pair, served_name, ZoneLabel};
use crate::error::{Result, RuleViolation};
use crate::key::{record_name, DkimKey, KeyId};
use crate::names::{DomainName, Selector};
use crate::rotation::{AlgorithmSet, Span};

/// How a delegated authority's DKIM records reach DNS: the tenant's CNAMEs
/// into Signet's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// The authority whose keys are served.
    pub authority: DomainName,
    /// Its label in Signet's zone.
    pub label: ZoneLabel,
    /// One CNAME per selector of the pair of each algorithm.
    pub records: Vec<DelegatedRecord>,
}

/// A CNAME the tenant publishes once, from its own name for a selector to
/// where Signet's zone serves that selector's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedRecord {
    /// The selector.
    pub selector: Selector,
    /// `<selector>._domainkey.<authority>`, in the tenant's DNS.
    pub name: String,
    /// `<selector>._domainkey.<label>.<zone>`, in Signet's zone.
    pub target: String,
    /// The served key (pending, active or retiring) holding the selector
    /// now; `None` until a rotation puts one there.
    pub key: Option<DkimKey>,
}

impl Delegation {
    /// The CNAMEs of `authority`, labelled `label` in `zone`: the pairs of
    /// the algorithms of `algorithms` and of any served key, RSA first.
    pub fn of(
        zone: &DomainName,
        authority: &DomainName,
        label: &ZoneLabel,
        algorithms: &AlgorithmSet,
        keys: &[DkimKey],
    ) -> Self {
        let served: Vec<&DkimKey> = keys.iter().filter(|k| k.stage.needs_record()).collect();
        let records = KeyAlgorithm::ALL
            .into_iter()
            .filter(|a| {
                algorithms.iter().any(|b| b == *a) || served.iter().any(|k| k.algorithm == *a)
            })
            .flat_map(selector_pair)
            .map(|selector| DelegatedRecord {
                name: record_name(authority, &selector),
                target: served_name(zone, label, &selector),
                key: served
                    .iter()
                    .find(|k| k.selector.folded() == selector.folded())
                    .map(|k| (*k).clone()),
                selector,
            })
            .collect();
        Self {
            authority: authority.clone(),
            label: label.clone(),
            records,
        }
    }
}

/// Where a delegated authority's next key of one algorithm goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextSelector {
    /// The idle selector of the pair.
    pub selector: Selector,
    /// A retired key still holding it, to delete first.
    pub reclaim: Option<KeyId>,
}

/// The idle selector of `algorithm`'s pair among the authority's `keys`:
/// the one its active key does not hold. Refused while a retiring key
/// (retired `retire_after` after it began to retire) or an active key
/// still holds it.
pub fn next_selector(
    keys: &[DkimKey],
    algorithm: KeyAlgorithm,
    retire_after: Span,
) -> Result<NextSelector> {
    let pair = selector_pair(algorithm);
    let holder = |s: &Selector| keys.iter().find(|k| k.selector.folded() == s.folded());
    let active = |s: &Selector| holder(s).is_some_and(|k| k.stage == KeyStage::Active);
    let free = |s: &Selector| holder(s).is_none_or(|k| k.stage == KeyStage::Retired);
    let [first, second] = pair;
    let selector = match (active(&first), active(&second)) {
        (true, false) => second,
        (false, true) => first,
        // No active key of this algorithm yet (the set just grew): the
        // first selector that is free, else the first, to wait for.
        _ if !free(&first) && free(&second) => second,
        _ => first,
    };
    match holder(&selector) {
        None => Ok(NextSelector {
            selector,
            reclaim: None,
        }),
        Some(key) if key.stage == KeyStage::Retired => Ok(NextSelector {
            reclaim: Some(key.id),
            selector,
        }),
        Some(key) => Err(RuleViolation::SelectorHeld {
            selector: selector.to_string(),
            stage: key.stage.as_str(),
            until: (key.stage == KeyStage::Retiring).then(|| retires_at(key, retire_after)),
        }
        .into()),
    }
}

/// When a retiring key becomes retired, RFC 3339.
fn retires_at(key: &DkimKey, retire_after: Span) -> String {
    let since: DateTime<Utc> = key.retiring_at.unwrap_or(key.updated_at);
    (since + retire_after.duration()).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::crypto::PublicKey;
    use crate::dns::DnsCheck;
    use crate::error::Error;

    fn key(id: i64, selector: &str, stage: KeyStage) -> DkimKey {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        DkimKey {
            id: KeyId(id),
            signing_domain: DomainName::parse("example.com").unwrap(),
            selector: Selector::parse(selector).unwrap(),
            bits: 2048,
            public_key: PublicKey("MIIB".into()),
            active: stage == KeyStage::Active,
            default_for_domain: stage == KeyStage::Active,
            dns: DnsCheck::default(),
            created_via: None,
            algorithm: KeyAlgorithm::Rsa,
            stage,
            created_at: at,
            updated_at: at,
            activated_at: None,
            retiring_at: (stage == KeyStage::Retiring).then_some(at),
            retired_at: None,
        }
    }

    fn next(keys: &[DkimKey]) -> Result<NextSelector> {
        next_selector(keys, KeyAlgorithm::Rsa, Span::days(7))
    }

    #[test]
    fn the_next_key_takes_the_selector_the_active_key_does_not_hold() {
        let taken = next(&[key(1, "pdk1", KeyStage::Active)]).unwrap();
        assert_eq!((taken.selector.as_str(), taken.reclaim), ("pdk2", None));
        let taken = next(&[
            key(1, "pdk1", KeyStage::Retired),
            key(2, "pdk2", KeyStage::Active),
        ])
        .unwrap();
        assert_eq!(
            (taken.selector.as_str(), taken.reclaim),
            ("pdk1", Some(KeyId(1)))
        );
    }

    #[test]
    fn a_retiring_key_on_the_idle_selector_makes_the_rotation_wait_until_it_retires() {
        let keys = [
            key(1, "pdk1", KeyStage::Retiring),
            key(2, "pdk2", KeyStage::Active),
        ];
        match next(&keys) {
            Err(Error::Rule(rule)) => assert_eq!(
                rule.to_string(),
                "the key at pdk1 is still retiring until 2026-12-08T00:00:00Z"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_an_active_key_of_the_algorithm_the_first_free_selector_is_taken() {
        assert_eq!(next(&[]).unwrap().selector.as_str(), "pdk1");
        let keys = [key(1, "pdk1", KeyStage::Retiring)];
        assert_eq!(next(&keys).unwrap().selector.as_str(), "pdk2");
        let ed = next_selector(&[], KeyAlgorithm::Ed25519, Span::days(7)).unwrap();
        assert_eq!(ed.selector.as_str(), "pde1");
    }

    #[test]
    fn the_cnames_cover_each_algorithms_pair_and_name_the_key_holding_each() {
        let zone = DomainName::parse("dkim.signet.example").unwrap();
        let authority = DomainName::parse("example.com").unwrap();
        let label = ZoneLabel::parse("abcdefgh23456723").unwrap();
        let keys = [
            key(1, "pdk1", KeyStage::Retired),
            key(2, "pdk2", KeyStage::Active),
        ];
        let both = AlgorithmSet::parse("rsa,ed25519").unwrap();
        let delegation = Delegation::of(&zone, &authority, &label, &both, &keys);
        let shown: Vec<(&str, &str, Option<i64>)> = delegation
            .records
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.target.as_str(),
                    r.key.as_ref().map(|k| k.id.0),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "pdk1._domainkey.example.com",
                    "pdk1._domainkey.abcdefgh23456723.dkim.signet.example",
                    None
                ),
                (
                    "pdk2._domainkey.example.com",
                    "pdk2._domainkey.abcdefgh23456723.dkim.signet.example",
                    Some(2)
                ),
                (
                    "pde1._domainkey.example.com",
                    "pde1._domainkey.abcdefgh23456723.dkim.signet.example",
                    None
                ),
                (
                    "pde2._domainkey.example.com",
                    "pde2._domainkey.abcdefgh23456723.dkim.signet.example",
                    None
                ),
            ]
        );
    }
}
