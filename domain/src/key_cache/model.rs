//! The snapshots a node holds: per tenant, its keys (or a note that it has
//! too many to hold), the key version they were read at and when that
//! version was last confirmed; bounded in keys, least recently used evicted
//! first.
//!
//! A full model does not evict a tenant read within
//! [`KeyCacheSettings::residency`] to make room: a newcomer's reads then go
//! to the store for [`KeyCacheSettings::pass`]. Without that,
//! reads spread over more tenants than fit would evict and reload whole
//! tenants on every request, dearer than no model at all.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::snapshot::Snapshot;
use crate::key::KeyId;
use crate::shared_state::TenantChangeListener;
use crate::tenant::TenantId;

/// How the read model of the keys is sized and how fast it notices changes
/// made elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCacheSettings {
    /// Most keys held, over every tenant; zero turns the read model off.
    pub max_keys: usize,
    /// A tenant with more keys is not held: its reads go to the store.
    pub max_tenant_keys: usize,
    /// How often the versions of every held tenant are checked, in one
    /// statement.
    pub sweep_interval: Duration,
    /// How long a snapshot is served without a confirmed version; past it
    /// (the sweep failed or fell behind), a read checks its tenant's version
    /// first.
    pub max_unverified: Duration,
    /// A held tenant read more recently than this is not evicted for a
    /// newcomer.
    pub residency: Duration,
    /// How long a tenant kept out of a full model reads from the store
    /// before it is considered again.
    pub pass: Duration,
}

impl Default for KeyCacheSettings {
    fn default() -> Self {
        Self {
            max_keys: 20_000,
            max_tenant_keys: 5_000,
            sweep_interval: Duration::from_millis(250),
            max_unverified: Duration::from_millis(750),
            residency: Duration::from_secs(1),
            pass: Duration::from_secs(5),
        }
    }
}

/// Key reads so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyCacheStats {
    /// Answered from memory.
    pub hits: u64,
    /// Answered by the store (a load, or a tenant too large to hold).
    pub misses: u64,
}

/// What is held for a tenant.
#[derive(Debug, Clone)]
pub(crate) enum Held {
    /// All of its keys.
    Keys(Arc<Snapshot>),
    /// It has more than `max_tenant_keys`: ask the store, with its key ids
    /// once an offset page asked for them.
    TooMany(Option<Arc<Vec<KeyId>>>),
    /// The model was full of tenants in use: ask the store until then.
    Passed(Instant),
}

impl Held {
    /// What it counts against `max_keys`: at least one, so that empty
    /// tenants and notes are bounded too.
    fn weight(&self) -> usize {
        match self {
            Held::Keys(snapshot) => snapshot.len().max(1),
            // A key id is 8 bytes, about a hundredth of a key held whole.
            Held::TooMany(ids) => 1 + ids.as_ref().map_or(0, |ids| ids.len() / 100),
            Held::Passed(_) => 1,
        }
    }
}

struct Entry {
    held: Held,
    version: i64,
    /// When the version was last known current (taken before asking).
    verified: Instant,
    /// The use counter's value at its last read, for LRU eviction.
    used: u64,
    /// When it was last read.
    read_at: Instant,
}

#[derive(Default)]
struct State {
    entries: HashMap<TenantId, Entry>,
    /// The sum of the entries' weights.
    weight: usize,
    /// Bumped by every drop; a load stores its snapshot only if nothing it
    /// could have missed was dropped since it began.
    epoch: u64,
    /// The epoch of the last drop of everything.
    cleared: u64,
    /// The epoch of each tenant's last drop.
    dropped: HashMap<TenantId, u64>,
    uses: u64,
    /// Tenants with a load in flight: one at a time, so a burst of reads
    /// after a change reloads a tenant once, not once per reader.
    loading: HashSet<TenantId>,
}

impl State {
    fn remove(&mut self, tenant: TenantId) {
        if let Some(entry) = self.entries.remove(&tenant) {
            self.weight -= entry.held.weight();
        }
    }

    /// Whether loading a tenant now would evict one read within
    /// `residency`: the budget cannot take a tenant of the largest size
    /// held, and the least recently read held keys were read lately.
    fn crowded(&self, settings: &KeyCacheSettings, now: Instant) -> bool {
        let largest = settings.max_tenant_keys.min(settings.max_keys);
        if self.weight + largest <= settings.max_keys {
            return false;
        }
        let coldest = self
            .entries
            .values()
            .filter(|e| matches!(e.held, Held::Keys(_)));
        coldest
            .min_by_key(|e| e.used)
            .is_some_and(|e| now.duration_since(e.read_at) < settings.residency)
    }

    fn drop_tenant(&mut self, tenant: TenantId) {
        self.epoch += 1;
        self.remove(tenant);
        // Bounded: past a size, forgetting the drops counts as dropping all.
        if self.dropped.len() >= 100_000 {
            self.dropped.clear();
            self.cleared = self.epoch;
        }
        self.dropped.insert(tenant, self.epoch);
    }
}

/// Where a load began: handed back with what it read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    epoch: u64,
    /// Before the version was read.
    pub(crate) asked: Instant,
}

/// What a read finds held for its tenant.
pub(crate) enum Lookup {
    /// Keys whose version was confirmed recently enough to serve.
    Fresh(Arc<Snapshot>),
    /// Keys to serve once their version is confirmed still current.
    Unverified(Arc<Snapshot>, i64),
    /// Not held (too many keys, or kept out of a full model): ask the store.
    Store,
    /// Nothing: load.
    Absent,
}

/// The right to load a tenant, while no other load of it is in flight;
/// given back when dropped (a load that failed or was cancelled included).
pub(crate) struct Loading<'a> {
    model: &'a KeyReadModel,
    tenant: TenantId,
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.model.lock().loading.remove(&self.tenant);
    }
}

/// What is held of a tenant too large to hold whole.
pub(crate) enum Large {
    /// Its key ids, at this version, confirmed recently enough to use if
    /// the flag says so.
    Ids(Arc<Vec<KeyId>>, i64, bool),
    /// Only that it is large.
    Known,
    /// Nothing, or it is not large.
    Unknown,
}

/// The snapshots of one node (see the module).
pub struct KeyReadModel {
    settings: KeyCacheSettings,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl KeyReadModel {
    /// An empty read model.
    pub fn new(settings: KeyCacheSettings) -> Self {
        Self {
            settings,
            state: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Its settings.
    pub fn settings(&self) -> KeyCacheSettings {
        self.settings
    }

    /// Reads so far.
    pub fn stats(&self) -> KeyCacheStats {
        KeyCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// A ticket for a load that begins now.
    pub(crate) fn ticket(&self) -> Ticket {
        let epoch = self.lock().epoch;
        Ticket {
            epoch,
            asked: Instant::now(),
        }
    }

    /// What is held for `tenant`, as of `now`.
    pub(crate) fn lookup(&self, tenant: TenantId, now: Instant) -> Lookup {
        let max_unverified = self.settings.max_unverified;
        let mut state = self.lock();
        state.uses += 1;
        let uses = state.uses;
        if let Some(entry) = state.entries.get(&tenant) {
            if matches!(entry.held, Held::Passed(until) if now >= until) {
                state.remove(tenant);
            }
        }
        if !state.entries.contains_key(&tenant) {
            if !state.crowded(&self.settings, now) {
                return Lookup::Absent;
            }
            if state.weight < self.settings.max_keys {
                let passed = Entry {
                    held: Held::Passed(now + self.settings.pass),
                    version: 0,
                    verified: now,
                    used: uses,
                    read_at: now,
                };
                state.weight += 1;
                state.entries.insert(tenant, passed);
            }
            return Lookup::Store;
        }
        let entry = state.entries.get_mut(&tenant).expect("held, checked above");
        entry.used = uses;
        entry.read_at = now;
        match &entry.held {
            Held::TooMany(_) | Held::Passed(_) => Lookup::Store,
            Held::Keys(keys) if now.duration_since(entry.verified) < max_unverified => {
                Lookup::Fresh(keys.clone())
            }
            Held::Keys(keys) => Lookup::Unverified(keys.clone(), entry.version),
        }
    }

    /// Holds what a load read at `version`, unless something was dropped
    /// since its ticket that it may have missed.
    pub(crate) fn put(&self, tenant: TenantId, ticket: Ticket, version: i64, held: Held) {
        let weight = held.weight();
        if weight > self.settings.max_keys {
            return;
        }
        let mut state = self.lock();
        let dropped = state.dropped.get(&tenant).copied().unwrap_or_default();
        if state.cleared > ticket.epoch || dropped > ticket.epoch {
            return;
        }
        state.remove(tenant);
        while state.weight + weight > self.settings.max_keys {
            let Some(oldest) = state.entries.iter().min_by_key(|(_, e)| e.used) else {
                break;
            };
            let oldest = *oldest.0;
            state.remove(oldest);
        }
        state.uses += 1;
        let entry = Entry {
            held,
            version,
            verified: ticket.asked,
            used: state.uses,
            read_at: Instant::now(),
        };
        state.weight += weight;
        state.entries.insert(tenant, entry);
    }

    /// The right to load `tenant`, unless a load of it is in flight: then
    /// `None`, and the read goes to the store rather than wait or load again.
    pub(crate) fn start_loading(&self, tenant: TenantId) -> Option<Loading<'_>> {
        let started = self.lock().loading.insert(tenant);
        started.then_some(Loading {
            model: self,
            tenant,
        })
    }

    /// What is held of `tenant` if it is too large to hold whole, as of `now`.
    pub(crate) fn large(&self, tenant: TenantId, now: Instant) -> Large {
        let state = self.lock();
        match state.entries.get(&tenant) {
            Some(Entry {
                held: Held::TooMany(Some(ids)),
                version,
                verified,
                ..
            }) => Large::Ids(
                ids.clone(),
                *version,
                now.duration_since(*verified) < self.settings.max_unverified,
            ),
            Some(Entry {
                held: Held::TooMany(None),
                ..
            }) => Large::Known,
            _ => Large::Unknown,
        }
    }

    /// Holds a large tenant's key ids read at `version`, if it is still held
    /// as large at that version, nothing was dropped since `ticket` and the
    /// budget allows.
    pub(crate) fn put_ids(
        &self,
        tenant: TenantId,
        ticket: Ticket,
        version: i64,
        ids: Arc<Vec<KeyId>>,
    ) {
        let held = Held::TooMany(Some(ids));
        let weight = held.weight();
        let mut state = self.lock();
        let dropped = state.dropped.get(&tenant).copied().unwrap_or_default();
        if state.cleared > ticket.epoch || dropped > ticket.epoch {
            return;
        }
        let fits = state.weight + weight <= self.settings.max_keys + 1;
        let Some(entry) = state.entries.get_mut(&tenant) else {
            return;
        };
        if !fits || entry.version != version || !matches!(entry.held, Held::TooMany(None)) {
            return;
        }
        entry.held = held;
        entry.verified = entry.verified.max(ticket.asked);
        state.weight += weight - 1;
    }

    /// Notes that `tenant`'s version was still `version` when read after
    /// `asked`.
    pub(crate) fn confirm(&self, tenant: TenantId, version: i64, asked: Instant) {
        let mut state = self.lock();
        if let Some(entry) = state.entries.get_mut(&tenant) {
            if entry.version == version {
                entry.verified = entry.verified.max(asked);
            }
        }
    }

    /// The tenants held (their keys, or that they have too many: a tenant
    /// that shrank is held again once its version moves), with the
    /// versions they were read at; not those kept out for a while.
    pub(crate) fn held_versions(&self) -> Vec<(TenantId, i64)> {
        let state = self.lock();
        let held = state.entries.iter();
        held.filter(|(_, e)| !matches!(e.held, Held::Passed(_)))
            .map(|(&tenant, e)| (tenant, e.version))
            .collect()
    }

    /// Applies the versions the store answered after `asked` for the
    /// tenants in `asked_for`: a tenant still held at its version is
    /// confirmed as of `asked`; one held at another version, or gone from
    /// the store, is dropped.
    pub(crate) fn checked(
        &self,
        asked: Instant,
        asked_for: &[TenantId],
        current: &[(TenantId, i64)],
    ) {
        let current: HashMap<TenantId, i64> = current.iter().copied().collect();
        let mut state = self.lock();
        for tenant in asked_for {
            let Some(entry) = state.entries.get_mut(tenant) else {
                continue;
            };
            if current.get(tenant) == Some(&entry.version) {
                entry.verified = entry.verified.max(asked);
            } else {
                state.drop_tenant(*tenant);
            }
        }
    }
}

impl TenantChangeListener for KeyReadModel {
    fn changed(&self, tenant: TenantId) {
        self.lock().drop_tenant(tenant);
    }

    fn missed(&self) {
        let mut state = self.lock();
        state.epoch += 1;
        state.cleared = state.epoch;
        state.entries.clear();
        state.dropped.clear();
        state.weight = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_cache::snapshot::tests::key;

    fn model(max_keys: usize) -> KeyReadModel {
        KeyReadModel::new(KeyCacheSettings {
            max_keys,
            max_unverified: Duration::from_secs(3600),
            ..KeyCacheSettings::default()
        })
    }

    fn held() -> Held {
        Held::Keys(Arc::new(Snapshot::new(Vec::new())))
    }

    fn is_held(model: &KeyReadModel, tenant: i64) -> bool {
        matches!(
            model.lookup(TenantId(tenant), Instant::now()),
            Lookup::Fresh(_)
        )
    }

    #[test]
    fn a_load_in_flight_across_a_drop_of_its_tenant_is_not_kept() {
        let model = model(100);
        let ticket = model.ticket();
        model.changed(TenantId(1));
        model.put(TenantId(1), ticket, 1, held());
        assert!(!is_held(&model, 1));
        let ticket = model.ticket();
        model.changed(TenantId(2));
        model.put(TenantId(1), ticket, 1, held());
        assert!(is_held(&model, 1), "another tenant's drop does not matter");
        let ticket = model.ticket();
        model.missed();
        model.put(TenantId(3), ticket, 1, held());
        assert!(!is_held(&model, 3) && !is_held(&model, 1), "all dropped");
    }

    #[test]
    fn the_least_recently_read_tenant_goes_first_when_full() {
        let model = model(2);
        for tenant in [1, 2] {
            model.put(TenantId(tenant), model.ticket(), 1, held());
        }
        assert!(is_held(&model, 1));
        model.put(TenantId(3), model.ticket(), 1, held());
        assert!(is_held(&model, 1) && is_held(&model, 3));
        assert!(!is_held(&model, 2));
    }

    fn keys(n: i64) -> Held {
        let keys = (1..=n).map(|id| key(id, "a.example", &format!("s{id}")));
        Held::Keys(Arc::new(Snapshot::new(keys.collect())))
    }

    #[test]
    fn a_full_model_of_tenants_in_use_sends_a_newcomer_to_the_store() {
        let model = KeyReadModel::new(KeyCacheSettings {
            max_keys: 4,
            max_tenant_keys: 2,
            max_unverified: Duration::from_secs(3600),
            ..KeyCacheSettings::default()
        });
        for tenant in [1, 2] {
            let now = Instant::now();
            assert!(matches!(
                model.lookup(TenantId(tenant), now),
                Lookup::Absent
            ));
            model.put(TenantId(tenant), model.ticket(), 1, keys(2));
        }
        let now = Instant::now();
        assert!(matches!(model.lookup(TenantId(3), now), Lookup::Store));
        assert!(is_held(&model, 1) && is_held(&model, 2), "nobody evicted");
        let pass = KeyCacheSettings::default().pass;
        let pass_over = now + pass;
        for tenant in [1, 2] {
            assert!(matches!(
                model.lookup(TenantId(tenant), pass_over),
                Lookup::Fresh(_)
            ));
        }
        assert!(
            matches!(model.lookup(TenantId(3), pass_over), Lookup::Store),
            "still crowded when its pass ends: the others were read just now"
        );
        let later = pass_over + pass + KeyCacheSettings::default().residency;
        assert!(
            matches!(model.lookup(TenantId(3), later), Lookup::Absent),
            "once the least recently read tenant idles, the newcomer may load"
        );
        assert_eq!(model.held_versions().len(), 2, "a pass is never swept");
    }

    #[test]
    fn a_large_tenants_ids_are_held_only_at_the_version_it_is_held_at() {
        let model = model(1000);
        let ids = Arc::new((1..=500).map(KeyId).collect::<Vec<_>>());
        let now = Instant::now();
        assert!(matches!(model.large(TenantId(1), now), Large::Unknown));
        model.put(TenantId(1), model.ticket(), 7, Held::TooMany(None));
        assert!(matches!(model.large(TenantId(1), now), Large::Known));
        model.put_ids(TenantId(1), model.ticket(), 6, ids.clone());
        assert!(
            matches!(model.large(TenantId(1), now), Large::Known),
            "another version"
        );
        let ticket = model.ticket();
        model.changed(TenantId(2));
        model.put(TenantId(1), model.ticket(), 7, Held::TooMany(None));
        model.changed(TenantId(1));
        model.put(TenantId(1), model.ticket(), 8, Held::TooMany(None));
        model.put_ids(TenantId(1), ticket, 8, ids.clone());
        assert!(
            matches!(model.large(TenantId(1), now), Large::Known),
            "dropped since"
        );
        model.put_ids(TenantId(1), model.ticket(), 8, ids.clone());
        let Large::Ids(held, 8, true) = model.large(TenantId(1), Instant::now()) else {
            panic!("held at version 8 and fresh");
        };
        assert_eq!(held.len(), 500);
    }

    #[test]
    fn one_load_of_a_tenant_at_a_time() {
        let model = model(100);
        let first = model.start_loading(TenantId(1)).expect("nobody loads it");
        assert!(model.start_loading(TenantId(1)).is_none(), "in flight");
        assert!(model.start_loading(TenantId(2)).is_some(), "another tenant");
        drop(first);
        assert!(model.start_loading(TenantId(1)).is_some(), "given back");
    }

    #[test]
    fn a_version_check_confirms_or_drops() {
        let model = KeyReadModel::new(KeyCacheSettings {
            max_unverified: Duration::from_millis(20),
            ..KeyCacheSettings::default()
        });
        for tenant in [1, 2, 3] {
            model.put(TenantId(tenant), model.ticket(), 5, held());
        }
        std::thread::sleep(Duration::from_millis(30));
        assert!(matches!(
            model.lookup(TenantId(1), Instant::now()),
            Lookup::Unverified(_, 5)
        ));
        let tenants = [TenantId(1), TenantId(2), TenantId(3)];
        model.checked(
            Instant::now(),
            &tenants,
            &[(TenantId(1), 5), (TenantId(2), 6)],
        );
        assert!(is_held(&model, 1), "confirmed");
        assert!(!is_held(&model, 2), "changed");
        assert!(!is_held(&model, 3), "gone");
        let mut held = model.held_versions();
        held.sort();
        assert_eq!(held, [(TenantId(1), 5)]);
    }
}
