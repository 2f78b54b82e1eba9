//! Per-request limits: body size (413) and time (408), answered in the
//! caller's dialect. Connection limits are in `connections`.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt as _;

use crate::config::Limits;
use crate::dialect::Dialect;

/// Reads the whole body (at most `body_limit` bytes) and runs the request,
/// all within `request_timeout`. Buffering here means no extractor further in
/// ever meets an over-long body, whatever its own limit.
pub async fn enforce(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let dialect = Dialect::of(req.uri().path());
    let run = async {
        let req = match buffer(req, limits.body_limit).await {
            Ok(req) => req,
            Err(BodyError::TooLarge) => {
                let message = format!(
                    "request body is larger than the limit of {} bytes",
                    limits.body_limit
                );
                return dialect.error(StatusCode::PAYLOAD_TOO_LARGE, &message);
            }
            Err(BodyError::Unreadable) => {
                return dialect.error(StatusCode::BAD_REQUEST, "request body could not be read")
            }
        };
        next.run(req).await
    };
    match tokio::time::timeout(limits.request_timeout, run).await {
        Ok(response) => response,
        Err(_) => dialect.error(StatusCode::REQUEST_TIMEOUT, "request timed out"),
    }
}

enum BodyError {
    TooLarge,
    Unreadable,
}

async fn buffer(req: Request, limit: usize) -> Result<Request, BodyError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Request::from_parts(parts, Body::from(Bytes::from(bytes))))
}
