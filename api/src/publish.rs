//! The background DNS publisher: each node now and then sends the RFC 2136
//! updates that authorities with a publisher need (see
//! `Signet::publish_due`). Leases in the shared state make each authority
//! one node's job per period. A failure is stored on its publisher (the
//! console shows it) and never reaches a request.

use std::time::Duration;

use rand::Rng as _;
use signet_domain::duration::parse_duration;
use signet_domain::{Chain, PublishRound, Signet};

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
/// The shortest wait between passes, so a tiny interval cannot spin.
const MIN_PERIOD: Duration = Duration::from_millis(100);

/// Publishes, forever, every interval jittered by ±20%. Never returns: the
/// server aborts it.
pub async fn run(core: Signet, settings: Publish) {
    let period = settings.interval.max(MIN_PERIOD);
    let round = PublishRound {
        // Shorter than the shortest jittered period, so this node's own
        // lease never blocks its next pass. An update still in flight when
        // it ends may be sent again by another node: updates are idempotent.
        lease: period.mul_f64(0.7),
        page: PAGE,
        concurrency: CONCURRENCY,
    };
    loop {
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        tokio::time::sleep(period.mul_f64(jitter)).await;
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
    }
}
