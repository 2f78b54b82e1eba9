//! Shedding: when the global cap is nearly reached, the oldest connection
//! that has not finished sending a request head or body is closed to make
//! room, so that clients trickling bytes cannot hold every slot.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::deadline::Activity;

/// The open connections, oldest first.
#[derive(Debug, Default)]
pub struct Shedder {
    open: Mutex<BTreeMap<u64, Arc<Activity>>>,
    next: AtomicU64,
}

impl Shedder {
    /// Registers a connection until the returned entry drops.
    pub fn enter(self: &Arc<Self>, activity: Arc<Activity>) -> Entry {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, activity);
        Entry {
            owner: self.clone(),
            id,
        }
    }

    /// Closes the oldest connection still sending a request head or body;
    /// false when there is none.
    pub fn shed_oldest(&self) -> bool {
        let mut open = self.lock();
        let found = open
            .iter()
            .find_map(|(id, activity)| Some((*id, activity.unfinished()?)));
        let Some((id, unfinished)) = found else {
            return false;
        };
        if let Some(activity) = open.remove(&id) {
            activity.shed();
        }
        metrics::counter!("signet_connections_shed_total", "phase" => unfinished.label())
            .increment(1);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Activity>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One connection's place among the open ones, given back on drop.
#[derive(Debug)]
pub struct Entry {
    owner: Arc<Shedder>,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.owner.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_connection_still_sending_a_head_is_shed_first() {
        let shedder = Arc::new(Shedder::default());
        let (a, b) = (Arc::new(Activity::default()), Arc::new(Activity::default()));
        let _a = shedder.enter(a.clone());
        let _b = shedder.enter(b.clone());
        assert!(shedder.shed_oldest());
        assert_eq!(shedder.open.lock().unwrap().len(), 1);
        assert!(shedder
            .open
            .lock()
            .unwrap()
            .values()
            .all(|o| Arc::ptr_eq(o, &b)));
    }

    #[test]
    fn a_request_being_served_with_its_body_read_is_never_shed() {
        let shedder = Arc::new(Shedder::default());
        let served = Arc::new(Activity::default());
        let _entry = shedder.enter(served.clone());
        let busy = served.begin(true);
        assert!(!shedder.shed_oldest());
        drop(busy);
        // Answered and idle: not sending anything either.
        assert!(!shedder.shed_oldest());
    }

    #[test]
    fn a_request_whose_body_is_still_coming_can_be_shed_until_it_is_read() {
        let shedder = Arc::new(Shedder::default());
        let uploading = Arc::new(Activity::default());
        let _entry = shedder.enter(uploading.clone());
        let _busy = uploading.begin(false);
        assert_eq!(
            uploading.unfinished(),
            Some(super::super::deadline::Unfinished::Body)
        );
        uploading.body_read();
        assert!(!shedder.shed_oldest());
    }
}
