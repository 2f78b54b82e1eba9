//! The background DNS publisher: each node now and then sends the RFC 2136
//! updates that authorities with a publisher need (see
//! `Signet::publish_due`). Leases in the shared state make each authority
//! one node's job per period. A failure is stored on its publisher (the
//! console shows it) and never reaches a request.

use std::time::Duration;

use std::sync::Arc;

use rand::Rng as _;
use signet_domain::duration::parse_duration;
use signet_domain::shared_state::TenantChangeListener;
use signet_domain::{Chain, PublishRound, Signet, TenantId};
use tokio::sync::Notify;

/// How often the background looks for records to publish.
pub const DEFAULT_INTERVAL: &str = "1s";
/// Longest one UPDATE may take, from connecting to the answer.
pub const DEFAULT_TIMEOUT: &str = "5s";

/// The background publisher's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish {
    /// How often it looks; zero turns it off.
    pub interval: Duration,
    /// Longest one UPDATE may take.
    pub timeout: Duration,
}

impl Default for Publish {
    fn default() -> Self {
        Self {
            interval: parse_duration(DEFAULT_INTERVAL).expect("a valid literal duration"),
            timeout: parse_duration(DEFAULT_TIMEOUT).expect("a valid literal duration"),
        }
    }
}

/// Authorities read per page.
const PAGE: u64 = 256;
/// Updates in flight at once, per node.
const CONCURRENCY: usize = 8;
/// How much longer than two update deadlines an authority's lease lasts:
/// for the reads and the write around the update.
const LEASE_MARGIN: Duration = Duration::from_secs(10);
/// The shortest wait between passes, so a tiny interval cannot spin.
const MIN_PERIOD: Duration = Duration::from_millis(100);

/// Wakes the publisher at once when a tenant's keys change, on this node or
/// (through the shared change channel) another, so a change does not wait
/// for the next interval.
#[derive(Debug, Default)]
pub struct Wake(Notify);

impl TenantChangeListener for Wake {
    fn changed(&self, _: TenantId) {
        self.0.notify_one();
    }

    fn missed(&self) {
        self.0.notify_one();
    }
}

/// Publishes, forever, every interval jittered by ±20% or when woken, at
/// most once every 100 ms. Never returns: the server aborts it.
pub async fn run(core: Signet, settings: Publish, wake: Arc<Wake>) {
    let period = settings.interval.max(MIN_PERIOD);
    let round = PublishRound {
        // Held through the update (given up when it is stored), so no
        // other node sends the same one meanwhile.
        lease: settings.timeout * 2 + LEASE_MARGIN,
        page: PAGE,
        concurrency: CONCURRENCY,
    };
    loop {
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        tokio::select! {
            () = tokio::time::sleep(period.mul_f64(jitter)) => {}
            () = wake.0.notified() => {}
        }
        match core.publish_due(round).await {
            Ok(report) => {
                if report.published > 0 || report.failed > 0 {
                    tracing::info!(
                        published = report.published,
                        failed = report.failed,
                        "DNS publisher"
                    );
                }
                if let Some(e) = &report.first_error {
                    tracing::warn!(error = %Chain(e), "DNS publisher: an authority could not be published");
                }
            }
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "DNS publisher: cannot find the publishers")
            }
        }
        tokio::time::sleep(MIN_PERIOD).await;
    }
}
