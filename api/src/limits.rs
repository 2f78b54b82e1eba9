//! Per-request limits: body size (413) and time (408, with a longer bound
//! for requests that generate a key), answered in the caller's dialect.
//! Connection limits are in `connections`.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Duration;

use futures::StreamExt as _;
use tokio::time::Instant;

use crate::dialect::Dialect;
use signet_domain::duration::parse_duration;

/// Largest request body accepted: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Longest a request may take, body upload included. Generous, because
/// generating an 8192-bit key takes tens of seconds.
pub const DEFAULT_REQUEST_TIMEOUT: &str = "120s";
/// Longest a key-generating request may take: an 8192-bit key alone takes
/// tens of seconds, and it may first wait its turn.
pub const DEFAULT_KEYGEN_TIMEOUT: &str = "10m";
/// Most connections served at once. A connection costs a task and a few
/// kilobytes, not a thread: the cap is set by open files, and the server
/// raises its soft limit to fit it at start.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16384;
/// Most connections one client address may hold open, so no single client
/// can take many slots.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;
/// Longest a request body may go without sending a byte, as nginx's
/// `client_body_timeout`: a body trickled slower holds its connection no
/// longer than this per byte, not for the whole request timeout.
pub const DEFAULT_BODY_READ_TIMEOUT: &str = "10s";
/// Longest a client may take to send a request head, from connecting (or
/// from the head's first byte on a kept-alive connection).
pub const DEFAULT_HEADER_READ_TIMEOUT: &str = "10s";
/// Longest a kept-alive connection may idle between requests. Longer than
/// the 60 s idle timeout of common load balancers, so the balancer closes
/// first and never reuses a connection Signet is closing.
pub const DEFAULT_IDLE_TIMEOUT: &str = "75s";

/// Limits applied to every request and connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes; larger ones get 413.
    pub body_limit: usize,
    /// Longest a request may take; slower ones get 408.
    pub request_timeout: Duration,
    /// Longest a request that generates a key may take, in place of
    /// `request_timeout` once its body is read.
    pub keygen_timeout: Duration,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Most connections open from one client address; 0 is no cap (behind a
    /// load balancer every connection comes from its address).
    pub max_connections_per_ip: usize,
    /// Longest from connecting, or from a request's first byte, to its
    /// complete head; slower connections are closed.
    pub header_read_timeout: Duration,
    /// Longest a kept-alive connection may idle between requests.
    pub idle_timeout: Duration,
    /// Longest a request body may go without sending a byte; slower ones get 408.
    pub body_read_timeout: Duration,
}

impl Limits {
    /// The part the connection layer keeps.
    pub fn connections(&self) -> signet_connections::Config {
        signet_connections::Config {
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        let duration = |s| parse_duration(s).expect("a valid literal duration");
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: duration(DEFAULT_REQUEST_TIMEOUT),
            keygen_timeout: duration(DEFAULT_KEYGEN_TIMEOUT),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            header_read_timeout: duration(DEFAULT_HEADER_READ_TIMEOUT),
            idle_timeout: duration(DEFAULT_IDLE_TIMEOUT),
            body_read_timeout: duration(DEFAULT_BODY_READ_TIMEOUT),
        }
    }
}

/// Reads the whole body (at most `body_limit` bytes, no wait between reads
/// longer than `body_read_timeout`) within `request_timeout`, then runs the
/// request within what is left of it, or within `keygen_timeout` for a
/// request that may generate a key. Buffering here means no extractor further
/// in ever meets an over-long body, whatever its own limit. A request to a
/// route that reads no body is served at once, its body (if any) left
/// unread, so that a body trickled in cannot hold it up.
pub async fn enforce(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let dialect = Dialect::of(req.uri().path());
    let started = Instant::now();
    let deadline = if generates_key(req.method(), req.uri().path()) {
        started + limits.keygen_timeout
    } else {
        started + limits.request_timeout
    };
    let timed_out = || dialect.error(StatusCode::REQUEST_TIMEOUT, "request timed out");
    if reads_no_body(&req, dialect) {
        let (parts, _unread) = req.into_parts();
        let req = Request::from_parts(parts, Body::empty());
        return match tokio::time::timeout_at(deadline, next.run(req)).await {
            Ok(response) => response,
            Err(_) => timed_out(),
        };
    }
    let body = tokio::time::timeout_at(
        started + limits.request_timeout,
        buffer(req, limits.body_limit, limits.body_read_timeout),
    );
    let req = match body.await {
        Ok(Ok(req)) => req,
        Ok(Err(BodyError::TooLarge)) => {
            let message = format!(
                "request body is larger than the limit of {} bytes",
                limits.body_limit
            );
            return dialect.error(StatusCode::PAYLOAD_TOO_LARGE, &message);
        }
        Ok(Err(BodyError::Unreadable)) => {
            return dialect.error(StatusCode::BAD_REQUEST, "request body could not be read")
        }
        Ok(Err(BodyError::Stalled)) => {
            metrics::counter!("signet_connections_timed_out_total", "phase" => "body_read")
                .increment(1);
            return timed_out();
        }
        Err(_) => return timed_out(),
    };
    match tokio::time::timeout_at(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => timed_out(),
    }
}

/// The routes that may generate a key (an 8192-bit one takes tens of seconds,
/// after its turn in the queue): creating a key or a domain, and making a
/// domain its own DKIM authority.
fn generates_key(method: &Method, path: &str) -> bool {
    match *method {
        Method::POST => matches!(
            path,
            "/v1/dkim/keys" | "/v3/domains" | "/v4/domains" | "/ga/api/v3/eng/dkim_keys"
        ),
        Method::PUT => path.starts_with("/v3/domains/") && path.ends_with("/dkim_authority"),
        _ => false,
    }
}

/// Whether the route `req` goes to reads no body: the operational
/// endpoints, and GET, HEAD and OPTIONS, except Mailgun's, which read a body
/// that has a `Content-Type` on every method (its clients may put
/// parameters there). DELETE is not among them: Mailgun's takes its
/// parameters in the body too.
fn reads_no_body(req: &Request, dialect: Dialect) -> bool {
    let operational = matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics");
    let bodiless = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mailgun_body =
        matches!(dialect, Dialect::Mailgun) && req.headers().contains_key(CONTENT_TYPE);
    operational || (bodiless && !mailgun_body)
}

enum BodyError {
    TooLarge,
    Unreadable,
    /// No byte within the body-read timeout.
    Stalled,
}

async fn buffer(req: Request, limit: usize, between_reads: Duration) -> Result<Request, BodyError> {
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
    loop {
        let next = tokio::time::timeout(between_reads, stream.next()).await;
        let Some(chunk) = next.map_err(|_| BodyError::Stalled)? else {
            break;
        };
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Request::from_parts(parts, Body::from(Bytes::from(bytes))))
}
