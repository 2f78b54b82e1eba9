//! Liveness and readiness, for load balancers and orchestrators.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use signet_storage::shared::{SharedHealth, SharedState};
use signet_storage::Storage;

/// What readiness looks at.
#[derive(Clone)]
pub struct Readiness {
    /// The database, probed within its timeout.
    pub storage: Arc<Storage>,
    /// The shared state, whose Redis (if any) is pinged.
    pub shared: SharedState,
}

/// `GET /healthz`: the process is up and serving.
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// `GET /readyz`: 200 when the database answers: `status` is `ok`, or
/// `degraded` while a configured Redis is away (the node serves on from
/// in-process state). 503 with the reason when the database does not answer,
/// as soon as the reason is known: a refused connection at once, silence
/// after the database timeout. The reason is a fixed sentence and the
/// database's error is logged, not shown, as this endpoint is unauthenticated.
pub async fn ready(State(readiness): State<Readiness>) -> (StatusCode, Json<Value>) {
    let (database, shared) = tokio::join!(readiness.storage.probe(), readiness.shared.check());
    // Redis's own error stays in the log: this endpoint is unauthenticated.
    let redis = match shared {
        SharedHealth::Local => "local",
        SharedHealth::Redis => "redis",
        SharedHealth::Degraded(_) => "degraded",
    };
    match database {
        Ok(()) => {
            let status = if redis == "degraded" {
                "degraded"
            } else {
                "ok"
            };
            let body = json!({ "status": status, "database": "ok", "redis": redis });
            (StatusCode::OK, Json(body))
        }
        Err(reason) => {
            let body = json!({
                "status": "unavailable",
                "reason": reason.to_string(),
                "database": "unavailable",
                "redis": redis,
            });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body))
        }
    }
}
