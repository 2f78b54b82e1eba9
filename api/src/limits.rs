//! Per-request limits: body size (413) and time (408, with a longer bound
//! for requests that generate a key), answered in the
//! caller's dialect; and a cap on connections served at once.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::Limits;
use crate::dialect::Dialect;

/// Reads the whole body (at most `body_limit` bytes) within
/// `request_timeout`, then runs the request within what is left of it, or
/// within `keygen_timeout` for a request that may generate a key. Buffering
/// here means no extractor further in ever meets an over-long body, whatever
/// its own limit.
pub async fn enforce(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let dialect = Dialect::of(req.uri().path());
    let started = Instant::now();
    let deadline = if generates_key(req.method(), req.uri().path()) {
        started + limits.keygen_timeout
    } else {
        started + limits.request_timeout
    };
    let timed_out = || dialect.error(StatusCode::REQUEST_TIMEOUT, "request timed out");
    let body = tokio::time::timeout_at(
        started + limits.request_timeout,
        buffer(req, limits.body_limit),
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

/// A listener that serves at most `max` connections at once: beyond that,
/// new connections wait in the kernel's backlog until one closes.
pub struct CappedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
}

impl CappedListener {
    /// Caps `inner` at `max` connections (at least one).
    pub fn new(inner: TcpListener, max: usize) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(max.max(1))),
        }
    }
}

impl axum::serve::Listener for CappedListener {
    type Io = CappedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        (
            CappedStream {
                stream,
                _permit: permit,
            },
            addr,
        )
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection holding one of the listener's permits until it closes.
pub struct CappedStream {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for CappedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CappedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
