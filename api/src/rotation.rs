//! The background rotation: each node now and then advances the rotation
//! steps that are due (retire, delete, start automatic rotations). Leases
//! in the shared state make each authority one node's job per period.

use std::time::Duration;

use rand::Rng as _;
use signet_domain::{Chain, RotationRound, Signet, Span};

use signet_domain::duration::parse_duration;

/// The shortest automatic rotation interval an authority may set.
pub const DEFAULT_MIN_INTERVAL: &str = "1h";

/// Key rotation: how often authorities may rotate, which also paces the
/// background that advances rotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The shortest `rotation_interval` an authority may set (at least 1 s).
    pub min_interval: Duration,
}

impl Rotation {
    /// The minimum in whole seconds, at least one.
    pub fn min_span(&self) -> Span {
        Span::seconds(
            i64::try_from(self.min_interval.as_secs())
                .unwrap_or(i64::MAX)
                .max(1),
        )
    }

    /// How often the background looks for due rotation steps: a quarter
    /// of the minimum interval, from 100 ms to a minute.
    pub fn period(&self) -> Duration {
        (self.min_interval / 4).clamp(Duration::from_millis(100), Duration::from_secs(60))
    }
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            min_interval: parse_duration(DEFAULT_MIN_INTERVAL).expect("a valid literal duration"),
        }
    }
}

/// Authorities read per page.
const PAGE: u64 = 256;

/// Advances due rotations, forever, every period jittered by ±20%. Never
/// returns: the server aborts it.
pub async fn run(core: Signet, settings: Rotation) {
    let period = settings.period();
    let round = RotationRound {
        // Shorter than the shortest jittered period, so this node's own
        // lease never blocks its next pass.
        lease: period.mul_f64(0.7),
        page: PAGE,
    };
    loop {
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        tokio::time::sleep(period.mul_f64(jitter)).await;
        match core.advance_rotations(round).await {
            Ok(report) => {
                tracing::debug!(
                    advanced = report.advanced,
                    skipped = report.skipped,
                    "rotation"
                );
                if let Some(e) = &report.first_error {
                    tracing::warn!(failed = report.failed, error = %Chain(e), "rotation: some steps failed");
                }
            }
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "rotation: cannot find the authorities due")
            }
        }
    }
}
