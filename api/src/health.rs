//! Liveness and readiness, for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use signet_domain::Signet;
use signet_storage::shared::{SharedHealth, SharedState};

/// How long the database may take to answer a readiness ping.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// What readiness looks at.
#[derive(Clone)]
pub struct Readiness {
    /// The core, whose database is pinged.
    pub core: Signet,
    /// The shared state, whose Redis (if any) is pinged.
    pub shared: SharedState,
}

/// `GET /healthz`: the process is up and serving.
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// `GET /readyz`: 200 when the database answers: `status` is `ok`, or
/// `degraded` while a configured Redis is away (the node serves on from
/// in-process state). 503 with the reason when the database does not answer;
/// the database's error is logged, not shown, as this endpoint is
/// unauthenticated.
pub async fn ready(State(readiness): State<Readiness>) -> (StatusCode, Json<Value>) {
    let (database, shared) = tokio::join!(database(&readiness.core), readiness.shared.check());
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
                "reason": reason,
                "database": "unavailable",
                "redis": redis,
            });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body))
        }
    }
}

async fn database(core: &Signet) -> Result<(), &'static str> {
    match tokio::time::timeout(PING_TIMEOUT, core.ports().tenants.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database ping failed");
            Err("database is unreachable")
        }
        Err(_) => {
            tracing::warn!("readiness: database ping timed out");
            Err("database did not answer in time")
        }
    }
}
