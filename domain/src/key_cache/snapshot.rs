//! One tenant's keys in memory, and the store's queries over them: the same
//! filters, starts, limits, order and totals as the SQL adapter's.

use std::cmp::Ordering;

use crate::key::{DkimKey, KeyFilter, KeyId, KeyPage, KeyQuery, PageStart};
use crate::names::{DomainName, Selector};

/// All of a tenant's keys (public halves only: a `DkimKey` holds no private
/// key), sorted by id, with an index by (signing domain, selector).
#[derive(Debug)]
pub(crate) struct Snapshot {
    keys: Vec<DkimKey>,
    /// Positions in `keys`, ordered by signing domain, then selector folded
    /// to lower case, as the store's unique index compares them.
    by_name: Vec<u32>,
}

/// Orders a key against a (signing domain, selector) pair, the selector
/// compared case-insensitively.
fn by_name(key: &DkimKey, domain: &str, selector: &str) -> Ordering {
    key.signing_domain.as_str().cmp(domain).then_with(|| {
        let fold = |b: u8| b.to_ascii_lowercase();
        let mine = key.selector.as_str().bytes().map(fold);
        mine.cmp(selector.bytes().map(fold))
    })
}

impl Snapshot {
    /// A snapshot of these keys, in any order.
    pub(crate) fn new(mut keys: Vec<DkimKey>) -> Self {
        keys.sort_by_key(|k| k.id);
        let mut by_name: Vec<u32> = (0..keys.len() as u32).collect();
        by_name.sort_by(|&a, &b| {
            let b = &keys[b as usize];
            by_name_of(&keys[a as usize], b)
        });
        Self { keys, by_name }
    }

    /// How many keys it holds.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// A key by id.
    pub(crate) fn get(&self, id: KeyId) -> Option<DkimKey> {
        let at = self.keys.binary_search_by_key(&id, |k| k.id).ok()?;
        Some(self.keys[at].clone())
    }

    /// A key by signing domain and selector (case-insensitive).
    pub(crate) fn find(&self, domain: &DomainName, selector: &Selector) -> Option<DkimKey> {
        let at = self
            .by_name
            .binary_search_by(|&i| {
                by_name(&self.keys[i as usize], domain.as_str(), selector.as_str())
            })
            .ok()?;
        Some(self.keys[self.by_name[at] as usize].clone())
    }

    /// One page, in ascending id order.
    pub(crate) fn list(&self, query: &KeyQuery) -> Vec<DkimKey> {
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        let passes = |k: &&DkimKey| passes(&query.filter, k);
        let before = |id: KeyId| self.keys.partition_point(|k| k.id < id);
        let after = |id: KeyId| self.keys.partition_point(|k| k.id <= id);
        let (mut page, backwards): (Vec<&DkimKey>, bool) = match query.start {
            PageStart::First => (self.keys.iter().filter(passes).take(limit).collect(), false),
            PageStart::Last => (
                self.keys.iter().rev().filter(passes).take(limit).collect(),
                true,
            ),
            PageStart::After(id) => {
                let rest = self.keys[after(id)..].iter();
                (rest.filter(passes).take(limit).collect(), false)
            }
            PageStart::Before(id) => {
                let rest = self.keys[..before(id)].iter().rev();
                (rest.filter(passes).take(limit).collect(), true)
            }
            PageStart::Offset(n) => {
                let skip = usize::try_from(n).unwrap_or(usize::MAX);
                let all = self.keys.iter().filter(passes);
                (all.skip(skip).take(limit).collect(), false)
            }
        };
        if backwards {
            page.reverse();
        }
        page.into_iter().cloned().collect()
    }

    /// One page and how many keys pass the filter in all.
    pub(crate) fn page(&self, query: &KeyQuery) -> KeyPage {
        KeyPage {
            keys: self.list(query),
            total: self.count(&query.filter),
        }
    }

    /// How many keys pass the filter.
    pub(crate) fn count(&self, filter: &KeyFilter) -> u64 {
        let n = if filter.signing_domain.is_none() && filter.selector.is_none() {
            self.keys.len()
        } else {
            self.keys.iter().filter(|k| passes(filter, k)).count()
        };
        n as u64
    }
}

fn by_name_of(a: &DkimKey, b: &DkimKey) -> Ordering {
    by_name(a, b.signing_domain.as_str(), b.selector.as_str())
}

/// Whether a key passes the filter: the signing domain as stored, the
/// selector case-insensitive (the store compares `selector_folded`).
fn passes(filter: &KeyFilter, key: &DkimKey) -> bool {
    filter
        .signing_domain
        .as_ref()
        .is_none_or(|d| key.signing_domain.as_str() == d.as_str())
        && filter
            .selector
            .as_ref()
            .is_none_or(|s| key.selector.as_str().eq_ignore_ascii_case(s.as_str()))
}
