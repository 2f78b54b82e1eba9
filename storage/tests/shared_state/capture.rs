//! Counts the warnings and infos signet-storage logs, on this thread only
//! (so tests running in parallel do not mix their logs).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

#[derive(Default)]
struct Counts {
    warnings: AtomicUsize,
    infos: AtomicUsize,
}

struct Counter(Arc<Counts>);

impl Subscriber for Counter {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("signet_storage")
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        match *event.metadata().level() {
            Level::WARN => self.0.warnings.fetch_add(1, Ordering::SeqCst),
            Level::INFO => self.0.infos.fetch_add(1, Ordering::SeqCst),
            _ => 0,
        };
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Counting lasts as long as this value; use a current-thread runtime.
pub struct LogCount {
    counts: Arc<Counts>,
    _guard: DefaultGuard,
}

impl LogCount {
    /// Starts counting on this thread.
    pub fn start() -> Self {
        // With a single dispatcher registered, tracing caches each callsite's
        // interest from whichever thread hits it first: a test thread without
        // a subscriber would switch the warning off for every test. A second,
        // never-dropped dispatcher makes it ask all of them instead.
        static INTEREST: OnceLock<Dispatch> = OnceLock::new();
        INTEREST.get_or_init(|| Dispatch::new(Counter(Arc::default())));
        let counts = Arc::new(Counts::default());
        let guard = tracing::subscriber::set_default(Counter(counts.clone()));
        Self {
            counts,
            _guard: guard,
        }
    }

    /// Warnings so far.
    pub fn warnings(&self) -> usize {
        self.counts.warnings.load(Ordering::SeqCst)
    }

    /// Infos so far.
    pub fn infos(&self) -> usize {
        self.counts.infos.load(Ordering::SeqCst)
    }
}
