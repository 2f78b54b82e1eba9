//! When each API key was last used. The auth layer names the key that
//! authenticated a request; this layer records its use in the background,
//! at most once a minute per key on each node (and the store skips a write
//! younger than a minute), so a busy key costs no write per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use signet_domain::tenant::ApiKeyHash;
use signet_domain::{Chain, Signet};

use crate::auth::AuthenticatedKey;

/// How often one key's use is recorded.
const EVERY: Duration = Duration::from_secs(60);
/// Keys remembered before the stale ones are forgotten.
const MAX_REMEMBERED: usize = 10_000;

/// The keys recorded lately on this node.
#[derive(Clone)]
pub struct UsageRecorder {
    core: Signet,
    recorded: Arc<Mutex<HashMap<ApiKeyHash, Instant>>>,
}

impl UsageRecorder {
    /// Records through `core`.
    pub fn new(core: Signet) -> Self {
        Self {
            core,
            recorded: Arc::default(),
        }
    }

    /// Whether `key`'s use is due to be recorded now; marks it if so.
    fn due(&self, key: &ApiKeyHash) -> bool {
        let now = Instant::now();
        let mut recorded = self.recorded.lock().expect("not poisoned");
        if recorded
            .get(key)
            .is_some_and(|at| now.duration_since(*at) < EVERY)
        {
            return false;
        }
        if recorded.len() >= MAX_REMEMBERED {
            recorded.retain(|_, at| now.duration_since(*at) < EVERY);
        }
        recorded.insert(key.clone(), now);
        true
    }
}

/// Records the use of the API key that authenticated the request.
pub async fn record(State(recorder): State<UsageRecorder>, req: Request, next: Next) -> Response {
    if let Some(AuthenticatedKey(hash)) = req.extensions().get::<AuthenticatedKey>() {
        if recorder.due(hash) {
            let (core, hash) = (recorder.core.clone(), hash.clone());
            tokio::spawn(async move {
                if let Err(e) = core.record_api_key_use(&hash).await {
                    tracing::warn!(error = %Chain(&e), "cannot record an API key's use");
                }
            });
        }
    }
    next.run(req).await
}
