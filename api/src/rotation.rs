//! The background rotation: each node now and then advances the rotation
//! steps that are due (retire, delete, start automatic rotations). Leases
//! in the shared state make each authority one node's job per period.

use rand::Rng as _;
use signet_domain::{Chain, RotationRound, Signet};

use crate::config::Rotation;

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
