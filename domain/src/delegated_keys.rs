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
