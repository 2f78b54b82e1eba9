//! The server's connection layer: the serve loop, which accepts connections under a global cap (the open-file
//! limit raised to fit it, see [`descriptors`]) and a per-address cap, closes
//! connections that wait too long for a request (see [`deadline`]), sheds
//! the oldest unfinished ones when the global cap is nearly reached (see
//! [`shed`]), serves TLS if given (see [`tls`]), and on stop finishes the
//! requests in flight.

mod body;
mod deadline;
mod descriptors;
mod per_ip;
mod shed;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Request;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulConnection, GracefulShutdown};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

use body::Tracked;
use deadline::{Activity, Deadlined, Timeouts};
use per_ip::{IpSlot, PerIp};
use shed::{Entry, Shedder};
use tls::{Stream, Tls};

/// The connection limits the serve loop keeps.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Connections served at once (the open-file limit is raised to fit).
    pub max_connections: usize,
    /// Connections one client address may hold; 0 is no cap.
    pub max_connections_per_ip: usize,
    /// Longest from connecting, or from a request's first byte, to its
    /// complete head.
    pub header_read_timeout: std::time::Duration,
    /// Longest a kept-alive connection may idle between requests.
    pub idle_timeout: std::time::Duration,
}

/// The share of the global cap kept free by shedding: a sixteenth.
const SHED_RESERVE_DIVISOR: usize = 16;

/// Connections the kernel may hold completed for the accept loop (capped by
/// `net.core.somaxconn`). Tokio's 1,024 overflows when many clients
/// reconnect at once, and a client whose handshake is dropped waits a
/// second to try again.
const BACKLOG: u32 = 8192;

/// Binds the listening socket, with a backlog for crowds of connections.
pub fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As std's bind does, so a restarted server can bind at once.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)
}

/// Serves `router` on `listener`, over TLS if given, until `stop`
/// completes, then waits for the requests in flight.
pub async fn serve(
    mut listener: TcpListener,
    router: Router,
    limits: Config,
    tls: Option<Tls>,
    stop: impl Future<Output = ()>,
) {
    let max_connections = descriptors::connection_cap(limits.max_connections.max(1));
    let permits = Arc::new(Semaphore::new(max_connections));
    // Shedding starts once fewer slots than this are free, so that a
    // connection is closed before new ones would wait for a slot.
    let reserve = (max_connections / SHED_RESERVE_DIVISOR).max(1);
    let shedder = Arc::new(Shedder::default());
    let per_ip =
        (limits.max_connections_per_ip > 0).then(|| PerIp::new(limits.max_connections_per_ip));
    let timeouts = Timeouts {
        header_read: limits.header_read_timeout,
        idle: limits.idle_timeout,
    };
    // HTTP/1.1 only, as axum::serve served it (axum is built without http2).
    // `Deadlined` times request
    // heads and idling itself: hyper's header-read timer also runs while a
    // connection idles, so it cannot give the two their own limits.
    let mut builder = http1::Builder::new();
    builder.header_read_timeout(None);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (permit, stream, peer) = tokio::select! {
            accepted = accept(&mut listener, &permits) => accepted,
            () = &mut stop => break,
        };
        let ip_slot = match &per_ip {
            Some(per_ip) => match per_ip.admit(peer.ip()) {
                Some(slot) => Some(slot),
                None => {
                    metrics::counter!("signet_connections_refused_total", "reason" => "per_ip")
                        .increment(1);
                    tracing::debug!(peer = %peer.ip(), "connection over the per-address cap closed");
                    continue;
                }
            },
            None => None,
        };
        if permits.available_permits() < reserve {
            shedder.shed_oldest();
        }
        let activity = Arc::new(Activity::default());
        let held = Held::new(permit, ip_slot, shedder.enter(activity.clone()));
        let connection = connection(
            &builder,
            stream,
            peer,
            router.clone(),
            timeouts,
            &activity,
            &tls,
        );
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::select! {
                served = watched => if let Err(e) = served {
                    tracing::debug!(error = %e, "connection closed");
                },
                () = activity.shed_requested() => {
                    tracing::debug!(peer = %peer.ip(), "unfinished connection shed");
                }
            }
            drop(held);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Waits for a free slot under the global cap, then for a connection:
/// beyond the cap, new connections wait in the kernel's backlog.
async fn accept(
    listener: &mut TcpListener,
    permits: &Arc<Semaphore>,
) -> (OwnedSemaphorePermit, TcpStream, SocketAddr) {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    // axum's accept retries on transient errors and backs off on fd exhaustion.
    let (stream, peer) = axum::serve::Listener::accept(listener).await;
    (permit, stream, peer)
}

/// One connection served by `router`, its reads under `timeouts` (the TLS
/// handshake's included: TLS runs over the deadlined socket). Each request
/// carries the peer's address as [`ConnectInfo`], for the audit trail.
fn connection(
    builder: &http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    timeouts: Timeouts,
    activity: &Arc<Activity>,
    tls: &Option<Tls>,
) -> impl GracefulConnection<Error = hyper::Error> + Send + 'static {
    let deadlined = Deadlined::new(stream, activity.clone(), timeouts);
    let io = TokioIo::new(match tls {
        Some(tls) => tls.accept(deadlined),
        None => Stream::Plain(deadlined),
    });
    let activity = activity.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let busy = activity.begin(req.body().is_end_stream());
        let mut req = req.map(|body| Tracked::new(body, activity.clone()));
        req.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = router.oneshot(req).await;
            drop(busy);
            response
        }
    });
    builder.serve_connection(io, service)
}

/// What an open connection holds until it closes: its slots under both
/// caps and its place among the connections that may be shed.
struct Held {
    _permit: OwnedSemaphorePermit,
    _ip_slot: Option<IpSlot>,
    _entry: Entry,
}

impl Held {
    fn new(permit: OwnedSemaphorePermit, ip_slot: Option<IpSlot>, entry: Entry) -> Self {
        metrics::gauge!("signet_connections_open").increment(1);
        Self {
            _permit: permit,
            _ip_slot: ip_slot,
            _entry: entry,
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        metrics::gauge!("signet_connections_open").decrement(1);
    }
}
