//! Logging: a subscriber writing to stderr, and one span per request carrying
//! its id, route, tenant, status and latency. Headers and bodies are never
//! recorded, so no credential or key material reaches the logs.

use std::io::IsTerminal as _;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use signet_http_kit::REQUEST_ID;
use tracing::field::Empty;
use tracing::Instrument as _;
use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The longest request id accepted from a client.
const MAX_REQUEST_ID: usize = 64;

/// Installs the global subscriber: `RUST_LOG` filters (default `info`),
/// lines go to stderr so command output on stdout stays clean.
pub fn init(format: LogFormat) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    }
    .map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

/// Reports the error that ends the program on stderr: one line, as a JSON
/// object shaped like the log lines when they are JSON.
pub fn fatal(format: LogFormat, error: &anyhow::Error) {
    match format {
        LogFormat::Text => eprintln!("signet: {error:#}"),
        LogFormat::Json => eprintln!(
            "{}",
            serde_json::json!({
                "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "level": "ERROR",
                "fields": {"message": format!("{error:#}")},
                "target": "signet",
            })
        ),
    }
}

/// Drops a client's request id unless it is one value of at most 64 of
/// `A-Z a-z 0-9 . _ -`, so that one is made up instead: ids reach every log
/// line and response, and must not carry anything else.
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let mut given = req.headers().get_all(REQUEST_ID).iter();
    let acceptable = match (given.next(), given.next()) {
        (None, _) => true,
        (Some(id), None) => is_plain_id(id.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !acceptable {
        req.headers_mut().remove(REQUEST_ID);
    }
    next.run(req).await
}

fn is_plain_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Runs the request inside its span and logs one line when it is answered.
/// The auth layer fills in `tenant`.
pub async fn trace(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        "request",
        request_id,
        method = %req.method(),
        route,
        tenant = Empty,
        status = Empty,
        latency_ms = Empty,
    );
    let started = Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    span.record("status", status.as_u16());
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!("request failed");
        } else {
            tracing::info!("request answered");
        }
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_short_request_ids_are_kept() {
        assert!(is_plain_id(b"req-42"));
        assert!(is_plain_id(b"0b5e8e4c-3f1a-4c55-9a43-5d1c1e0f7a10"));
        assert!(is_plain_id(b"a.b_c-D9"));
        assert!(is_plain_id("x".repeat(64).as_bytes()));
    }

    #[test]
    fn long_empty_or_unusual_request_ids_are_replaced() {
        assert!(!is_plain_id(b""));
        assert!(!is_plain_id("x".repeat(65).as_bytes()));
        for id in ["a b", "a\"b", "a/b", "a=b", "caf\u{e9}", "a\tb"] {
            assert!(!is_plain_id(id.as_bytes()), "{id:?}");
        }
    }
}
