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

#[cfg(test)]
pub(super) mod tests {
    use chrono::{TimeZone as _, Utc};

    use super::*;
    use crate::algorithm::{KeyAlgorithm, KeyStage};
    use crate::crypto::PublicKey;
    use crate::dns::DnsCheck;

    /// A key of `domain` under `selector`, with the given id.
    pub(in crate::key_cache) fn key(id: i64, domain: &str, selector: &str) -> DkimKey {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        DkimKey {
            id: KeyId(id),
            signing_domain: DomainName::parse(domain).unwrap(),
            selector: Selector::parse(selector).unwrap(),
            bits: 2048,
            public_key: PublicKey("MIIB".into()),
            active: true,
            default_for_domain: false,
            dns: DnsCheck::default(),
            created_via: None,
            algorithm: KeyAlgorithm::Rsa,
            stage: KeyStage::Active,
            created_at: at,
            updated_at: at,
            activated_at: None,
            retiring_at: None,
            retired_at: None,
        }
    }

    /// Ids 1, 2, 4, 5, 7, 8 (3 and 6 deleted), given out of order.
    fn snapshot() -> Snapshot {
        Snapshot::new(vec![
            key(7, "a.example", "x1"),
            key(1, "a.example", "mail"),
            key(4, "b.example", "news"),
            key(2, "b.example", "Mail"),
            key(8, "b.example", "y2"),
            key(5, "a.example", "News"),
        ])
    }

    fn ids(keys: &[DkimKey]) -> Vec<i64> {
        keys.iter().map(|k| k.id.0).collect()
    }

    fn query(filter: &KeyFilter, start: PageStart, limit: u64) -> KeyQuery {
        KeyQuery {
            filter: filter.clone(),
            start,
            limit,
        }
    }

    fn by_domain(domain: &str) -> KeyFilter {
        KeyFilter {
            signing_domain: Some(DomainName::parse(domain).unwrap()),
            selector: None,
        }
    }

    #[test]
    fn pages_start_first_last_after_before_or_at_an_offset_in_id_order() {
        let s = snapshot();
        let all = KeyFilter::default();
        let page = |start, limit| ids(&s.list(&query(&all, start, limit)));
        assert_eq!(page(PageStart::First, 3), [1, 2, 4]);
        assert_eq!(page(PageStart::Last, 3), [5, 7, 8]);
        assert_eq!(page(PageStart::After(KeyId(2)), 2), [4, 5]);
        assert_eq!(page(PageStart::After(KeyId(3)), 2), [4, 5]);
        assert_eq!(page(PageStart::Before(KeyId(7)), 2), [4, 5]);
        assert_eq!(page(PageStart::Before(KeyId(6)), 9), [1, 2, 4, 5]);
        assert_eq!(page(PageStart::Offset(4), 9), [7, 8]);
        assert!(page(PageStart::Offset(6), 9).is_empty());
        assert!(page(PageStart::Offset(u64::MAX), u64::MAX).is_empty());
        assert!(page(PageStart::First, 0).is_empty());
        assert_eq!(page(PageStart::First, u64::MAX).len(), 6);
    }

    #[test]
    fn filters_take_the_domain_as_stored_and_the_selector_in_any_case() {
        let s = snapshot();
        let mail = KeyFilter {
            signing_domain: None,
            selector: Some(Selector::parse("MAIL").unwrap()),
        };
        assert_eq!(ids(&s.list(&query(&mail, PageStart::First, 9))), [1, 2]);
        let a = by_domain("A.example");
        assert_eq!(ids(&s.list(&query(&a, PageStart::Last, 2))), [5, 7]);
        assert_eq!(ids(&s.list(&query(&a, PageStart::Offset(1), 9))), [5, 7]);
        assert_eq!(
            ids(&s.list(&query(&a, PageStart::Before(KeyId(5)), 9))),
            [1]
        );
        assert_eq!(s.count(&a), 3);
        assert_eq!(s.count(&by_domain("c.example")), 0);
    }

    #[test]
    fn a_page_reports_every_key_that_passes_its_filter() {
        let s = snapshot();
        let b = by_domain("b.example");
        let page = s.page(&query(&b, PageStart::After(KeyId(2)), 1));
        assert_eq!((ids(&page.keys), page.total), (vec![4], 3));
        let past = s.page(&query(&b, PageStart::Offset(10), 1));
        assert_eq!((past.keys.len(), past.total), (0, 3));
        assert_eq!(
            s.page(&query(&KeyFilter::default(), PageStart::First, 1))
                .total,
            6
        );
    }

    #[test]
    fn a_key_is_found_by_id_or_by_name_with_the_selector_in_any_case() {
        let s = snapshot();
        assert_eq!(s.get(KeyId(5)).map(|k| k.id), Some(KeyId(5)));
        assert!(s.get(KeyId(3)).is_none());
        let find = |d: &str, sel: &str| {
            let d = DomainName::parse(d).unwrap();
            s.find(&d, &Selector::parse(sel).unwrap()).map(|k| k.id.0)
        };
        assert_eq!(find("b.example", "mail"), Some(2));
        assert_eq!(find("a.example", "MAIL"), Some(1));
        assert_eq!(find("a.example", "news"), Some(5));
        assert_eq!(find("c.example", "mail"), None);
        assert_eq!(find("a.example", "mai"), None);
    }
}
