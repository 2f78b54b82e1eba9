//! The zone in memory: an index from name to node for every served key,
//! with the empty non-terminals above them, and the apex's SOA and NS.
//! Readers take a read lock for one lookup; a reload replaces one
//! tenant's names under the write lock, so a reload costs the size of the
//! tenant, not of the zone.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::rr::rdata::{NS, SOA, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record};
use signet_domain::delegation::ServedKey;
use signet_domain::{DnsRecord, DomainName, TenantId};

use crate::Config;

/// What a name in the zone holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The apex: SOA and NS.
    Apex,
    /// A served name's TXT records.
    Txt(Vec<Record>),
    /// A name that exists only because names below it do (an empty
    /// non-terminal such as `_domainkey.<label>.<zone>`): no records.
    Empty,
    /// No such name in the zone.
    NxDomain,
    /// Not in the zone at all.
    Outside,
}

/// A name's records; none for an empty non-terminal.
#[derive(Debug)]
pub struct Node {
    name: Name,
    txt: Vec<TXT>,
}

impl Node {
    fn records(&self, ttl: u32) -> Vec<Record> {
        self.txt
            .iter()
            .map(|txt| Record::from_rdata(self.name.clone(), ttl, RData::TXT(txt.clone())))
            .collect()
    }
}

/// A tenant's served records: name to values.
type Content = BTreeMap<String, Vec<String>>;

/// The zone's served names at one moment, cheap to take (the nodes are
/// shared, not copied): what a transfer sends, whatever reloads meanwhile.
#[derive(Debug)]
pub struct Snapshot {
    ttl: u32,
    nodes: Vec<Arc<Node>>,
}

impl Snapshot {
    /// Every served record, node by node.
    pub fn into_records(self) -> impl Iterator<Item = Record> + Send {
        let ttl = self.ttl;
        self.nodes
            .into_iter()
            .flat_map(move |node| node.records(ttl))
    }
}

#[derive(Debug, Default)]
struct State {
    nodes: HashMap<LowerName, Arc<Node>>,
    /// Each tenant's records (a hash of them, to see whether a reload
    /// changed anything without keeping a second copy) and the names
    /// (served and empty) they made; labels are unique across tenants, so
    /// no name has two owners.
    tenants: HashMap<TenantId, (u64, Vec<LowerName>)>,
    serial: u32,
}

/// The zone: its fixed apex records and the served records, shared by
/// the UDP and TCP loops and the task that reloads it.
#[derive(Debug)]
pub struct Zone {
    domain: DomainName,
    apex: Name,
    lower_apex: LowerName,
    nameservers: Vec<Name>,
    ttl: u32,
    state: RwLock<State>,
}

impl Zone {
    /// An empty zone; its serial starts at the current unix time.
    pub fn new(config: &Config) -> Self {
        let apex = fqdn(config.zone.as_str());
        let nameservers = if config.nameservers.is_empty() {
            vec![Name::from_ascii("ns1")
                .and_then(|ns| ns.append_domain(&apex))
                .expect("ns1 under a valid zone is a valid name")]
        } else {
            config
                .nameservers
                .iter()
                .map(|n| fqdn(n.as_str()))
                .collect()
        };
        Self {
            domain: config.zone.clone(),
            lower_apex: LowerName::from(&apex),
            apex,
            nameservers,
            ttl: config.ttl,
            state: RwLock::new(State {
                serial: unix_now(),
                ..State::default()
            }),
        }
    }

    /// The apex's name.
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// The SOA's serial.
    pub fn serial(&self) -> u32 {
        self.read().serial
    }

    /// The apex's SOA record. Its minimum (the negative-caching TTL) is at
    /// most a minute, so a resolver that was told a new key's name does
    /// not exist asks again soon.
    pub fn soa(&self) -> Record {
        let serial = self.serial();
        let rname = Name::from_ascii("hostmaster")
            .and_then(|h| h.append_domain(&self.apex))
            .unwrap_or_else(|_| self.apex.clone());
        let soa = SOA::new(
            self.nameservers[0].clone(),
            rname,
            serial,
            300,
            60,
            1_209_600,
            self.ttl.min(60),
        );
        Record::from_rdata(self.apex.clone(), self.ttl, RData::SOA(soa))
    }

    /// The apex's NS records.
    pub fn ns(&self) -> Vec<Record> {
        self.nameservers
            .iter()
            .map(|ns| Record::from_rdata(self.apex.clone(), self.ttl, RData::NS(NS(ns.clone()))))
            .collect()
    }

    /// What the zone holds at `name`.
    pub fn find(&self, name: &LowerName) -> Found {
        if !self.lower_apex.zone_of(name) {
            return Found::Outside;
        }
        if *name == self.lower_apex {
            return Found::Apex;
        }
        match self.read().nodes.get(name) {
            None => Found::NxDomain,
            Some(node) if node.txt.is_empty() => Found::Empty,
            Some(node) => Found::Txt(node.records(self.ttl)),
        }
    }

    /// The served names as they are now, for a transfer.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.read();
        let nodes = state
            .nodes
            .values()
            .filter(|n| !n.txt.is_empty())
            .cloned()
            .collect();
        Snapshot {
            ttl: self.ttl,
            nodes,
        }
    }

    /// Served records in the zone.
    pub fn len(&self) -> usize {
        let state = self.read();
        state.nodes.values().map(|n| n.txt.len()).sum()
    }

    /// Whether no record is served.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces every tenant's records with `keys`; true if anything
    /// changed (and the serial grew).
    pub fn replace_all(&self, keys: Vec<ServedKey>) -> bool {
        let mut by_tenant: HashMap<TenantId, Vec<ServedKey>> = HashMap::new();
        for key in keys {
            by_tenant.entry(key.tenant).or_default().push(key);
        }
        let contents: Vec<(TenantId, Content)> = by_tenant
            .into_iter()
            .map(|(tenant, keys)| (tenant, self.content(tenant, &keys)))
            .collect();
        let mut state = self.write();
        let gone: Vec<TenantId> = state
            .tenants
            .keys()
            .filter(|t| !contents.iter().any(|(c, _)| c == *t))
            .copied()
            .collect();
        let mut changed = false;
        for tenant in gone {
            changed |= self.replace_locked(&mut state, tenant, Content::new());
        }
        for (tenant, content) in contents {
            changed |= self.replace_locked(&mut state, tenant, content);
        }
        if changed {
            bump(&mut state);
        }
        changed
    }

    /// Replaces `tenant`'s records with `keys` (its served keys, all of
    /// them); true if they changed (and the serial grew).
    pub fn replace_tenant(&self, tenant: TenantId, keys: &[ServedKey]) -> bool {
        let content = self.content(tenant, keys);
        let mut state = self.write();
        let changed = self.replace_locked(&mut state, tenant, content);
        if changed {
            bump(&mut state);
        }
        changed
    }

    /// `tenant`'s records among `keys`, built before taking the lock so
    /// readers wait only for the swap.
    fn content(&self, tenant: TenantId, keys: &[ServedKey]) -> Content {
        let mut content = Content::new();
        for key in keys.iter().filter(|k| k.tenant == tenant) {
            let record = key.record(&self.domain);
            content
                .entry(record.name.to_ascii_lowercase())
                .or_default()
                .push(record.value);
        }
        for values in content.values_mut() {
            values.sort();
            values.dedup();
        }
        content
    }

    fn replace_locked(&self, state: &mut State, tenant: TenantId, content: Content) -> bool {
        let hash = {
            let mut hasher = DefaultHasher::new();
            content.hash(&mut hasher);
            hasher.finish()
        };
        let old = state.tenants.get(&tenant).map(|(h, _)| *h);
        if old == Some(hash) || (old.is_none() && content.is_empty()) {
            return false;
        }
        if let Some((_, names)) = state.tenants.remove(&tenant) {
            for name in names {
                state.nodes.remove(&name);
            }
        }
        if content.is_empty() {
            return true;
        }
        let mut owned = Vec::new();
        for (name, values) in &content {
            let Ok(name) = Name::from_ascii(name).map(fqdn_of) else {
                tracing::warn!(%name, "a served name is not a valid DNS name: skipped");
                continue;
            };
            let txt = values.iter().map(|v| txt(v)).collect();
            self.insert_with_parents(state, &mut owned, name, txt);
        }
        state.tenants.insert(tenant, (hash, owned));
        true
    }

    /// Inserts `name` with its records, and every name between it and the
    /// apex as an empty non-terminal unless it is there already.
    fn insert_with_parents(
        &self,
        state: &mut State,
        owned: &mut Vec<LowerName>,
        name: Name,
        txt: Vec<TXT>,
    ) {
        let mut parent = name.base_name();
        let key = LowerName::from(&name);
        owned.push(key.clone());
        state.nodes.insert(key, Arc::new(Node { name, txt }));
        while parent.num_labels() > self.apex.num_labels() {
            let key = LowerName::from(&parent);
            let next = parent.base_name();
            if let Entry::Vacant(vacant) = state.nodes.entry(key) {
                owned.push(vacant.key().clone());
                vacant.insert(Arc::new(Node {
                    name: parent,
                    txt: Vec::new(),
                }));
            }
            parent = next;
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The serial grows on every change: the unix time of the change, or one
/// more than the last if that is not larger (RFC 1982 arithmetic wraps).
fn bump(state: &mut State) {
    let now = unix_now();
    let next = state.serial.wrapping_add(1);
    state.serial = if serial_greater(now, state.serial) {
        now
    } else {
        next
    };
}

/// `a > b` in serial number arithmetic (RFC 1982).
fn serial_greater(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 1 << 31
}

fn unix_now() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// A TXT record of `value` in strings of at most 255 bytes, split as the
/// record Signet tells tenants to publish is.
fn txt(value: &str) -> TXT {
    let record = DnsRecord {
        name: String::new(),
        record_type: "TXT",
        value: value.to_owned(),
    };
    TXT::new(record.strings().into_iter().map(str::to_owned).collect())
}

fn fqdn(name: &str) -> Name {
    fqdn_of(Name::from_ascii(name).expect("a DomainName is a valid DNS name"))
}

fn fqdn_of(mut name: Name) -> Name {
    name.set_fqdn(true);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_compare_in_serial_arithmetic() {
        assert!(serial_greater(2, 1));
        assert!(!serial_greater(1, 1));
        assert!(serial_greater(0, u32::MAX));
        assert!(!serial_greater(u32::MAX, 0));
    }

    #[test]
    fn a_serial_that_the_clock_does_not_pass_grows_by_one() {
        let ahead = unix_now() + 1000;
        let mut state = State {
            serial: ahead,
            ..State::default()
        };
        bump(&mut state);
        assert_eq!(state.serial, ahead + 1);
    }
}
