//! The background DNS re-check: each node scans now and then for keys whose
//! record was checked longest ago (or never) and looks them up again, so a
//! record published without a verify call is noticed. Leases in the shared
//! state make each key one node's job.

use std::time::Duration;

use rand::Rng as _;
use signet_domain::{Chain, RecheckRound, Signet};

use signet_domain::duration::parse_duration;

/// How old a key's DNS result may get before the background checks it again.
pub const DEFAULT_INTERVAL: &str = "1h";
/// Background DNS lookups in flight at once, per node.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The background task that keeps keys' DNS results fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recheck {
    /// How old a key's DNS result may get before it is looked up again.
    /// Zero turns the task off.
    pub interval: Duration,
    /// Lookups in flight at once.
    pub concurrency: usize,
}

impl Default for Recheck {
    fn default() -> Self {
        Self {
            interval: parse_duration(DEFAULT_INTERVAL).expect("a valid literal duration"),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Keys per round; rounds follow each other while full ones keep coming.
const ROUND: u64 = 256;
/// The longest wait between scans, so new keys get a first check soon even
/// when results are kept for hours.
const MAX_SCAN_PERIOD: Duration = Duration::from_secs(60);
/// The shortest wait between scans, so a tiny interval cannot spin.
const MIN_SCAN_PERIOD: Duration = Duration::from_millis(100);

/// Scans for keys due, forever; every scan waits a period jittered by ±20%,
/// so nodes started together drift apart. Never returns: the server aborts it.
pub async fn run(core: Signet, settings: Recheck) {
    let period = settings.interval.clamp(MIN_SCAN_PERIOD, MAX_SCAN_PERIOD);
    let round = RecheckRound {
        older_than: settings.interval,
        limit: ROUND,
        concurrency: settings.concurrency,
    };
    loop {
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        tokio::time::sleep(period.mul_f64(jitter)).await;
        scan(&core, round).await;
    }
}

/// Runs rounds until one is not full or this node checked nothing in it
/// (the rest being other nodes' or failing).
async fn scan(core: &Signet, round: RecheckRound) {
    loop {
        let report = match core.recheck_due(round).await {
            Ok(report) => report,
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "DNS re-check: cannot find the keys due");
                return;
            }
        };
        if let Some(e) = &report.first_error {
            tracing::warn!(failed = report.failed, error = %Chain(e), "DNS re-check: some results were not stored");
        }
        if report.checked > 0 {
            tracing::info!(
                due = report.due,
                checked = report.checked,
                skipped = report.skipped,
                "DNS re-check"
            );
        }
        if (report.due as u64) < round.limit || report.checked == 0 {
            return;
        }
    }
}
