//! Liveness and readiness, for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use signet_domain::Signet;

/// How long the database may take to answer a readiness ping.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /healthz`: the process is up and serving.
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// `GET /readyz`: 200 when the database answers, 503 with the reason when not.
/// The cause is logged, not shown: this endpoint is unauthenticated.
pub async fn ready(State(core): State<Signet>) -> (StatusCode, Json<Value>) {
    let database = match tokio::time::timeout(PING_TIMEOUT, core.ports().tenants.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database ping failed");
            Err("database is unreachable")
        }
        Err(_) => {
            tracing::warn!("readiness: database ping timed out");
            Err("database did not answer in time")
        }
    };
    match database {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "checks": { "database": "ok" } })),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "reason": reason,
                "checks": { "database": "unavailable" },
            })),
        ),
    }
}
