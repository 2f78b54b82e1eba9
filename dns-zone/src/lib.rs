//! Signet's authoritative DNS server: the zone delegated domains' CNAMEs
//! point into (Mailgun's Automatic Sender Security), with a TXT record at
//! `<selector>._domainkey.<label>.<zone>` for every pending, active and
//! retiring key of a delegated authority, answered from memory (see
//! [`keeper`] for how the zone stays current).
//!
//! The UDP and TCP loops are Signet's own, on tokio, with hickory-proto
//! for parsing and encoding. hickory-server's `ServerFuture` and
//! `RequestHandler` would not do: a handler never sees the request's
//! bytes, which TSIG verification needs; responses cannot be TSIG-signed,
//! which signed transfers need; and response-rate limiting wants the
//! datagram before any parsing.
//!
//! What it answers: SOA and NS at the apex; TXT at served names; NODATA
//! (with the SOA) for other types at existing names, empty non-terminals
//! included; NXDOMAIN for other names in the zone; REFUSED outside it;
//! NOTIMP for ANY and for opcodes other than QUERY; FORMERR for what does
//! not parse, if its header does. Answers that do not fit a UDP payload
//! (the client's EDNS size capped at 1232, 512 without EDNS) come back
//! truncated, so the client asks over TCP. AXFR (and IXFR, answered in
//! full) only over TCP, signed with the configured TSIG key.
//!
//! Each node keeps its own zone and serial: nodes' serials agree to the
//! second of the change that made them, but are each node's own.

pub mod answer;
mod handle;
pub mod keeper;
mod notify;
pub mod rrl;
mod tcp;
mod transfer;
pub mod tsig;
mod udp;
pub mod zone;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use signet_domain::tsig::TsigKey;
use signet_domain::{DomainName, Signet};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

pub use keeper::ZoneChanges;

use keeper::Keeper;
use rrl::RateLimiter;
use tsig::Tsig;
use zone::Zone;

/// The DNS server's configuration, built by the binary from its settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The zone answered for.
    pub zone: DomainName,
    /// Its NS names; `ns1.<zone>` when empty.
    pub nameservers: Vec<DomainName>,
    /// The TTL of every record.
    pub ttl: u32,
    /// The key transfers must be signed with and NOTIFYs are; transfers
    /// are refused without one.
    pub tsig_key: Option<TsigKey>,
    /// Secondaries told of every change.
    pub notify: Vec<SocketAddr>,
    /// UDP responses a second per source network; 0 turns rate limiting off.
    pub rrl_rate: u32,
    /// Every how many responses over the rate one is slipped (sent empty
    /// and truncated); 0 drops them all.
    pub rrl_slip: u32,
    /// TCP connections served at once.
    pub max_tcp_connections: usize,
    /// How long a TCP connection may wait for its next message.
    pub tcp_idle_timeout: Duration,
}

impl Config {
    /// TCP connections served at once when not set otherwise.
    pub const DEFAULT_MAX_TCP_CONNECTIONS: usize = 256;
    /// The idle timeout of a TCP connection when not set otherwise.
    pub const DEFAULT_TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
}

/// What the loops share.
#[derive(Debug)]
struct Shared {
    config: Config,
    zone: Arc<Zone>,
    tsig: Option<Tsig>,
    rrl: Option<RateLimiter>,
}

/// The server, bound to its sockets, not yet answering.
pub struct Server {
    udp: UdpSocket,
    tcp: TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds UDP and TCP on `listen` (the same port for both; port 0 picks
    /// one free for both).
    pub async fn bind(listen: SocketAddr, config: Config) -> std::io::Result<Self> {
        let (udp, tcp) = bind_both(listen).await?;
        let shared = Arc::new(Shared {
            zone: Arc::new(Zone::new(&config)),
            tsig: config.tsig_key.as_ref().map(Tsig::new),
            rrl: (config.rrl_rate > 0).then(|| RateLimiter::new(config.rrl_rate, config.rrl_slip)),
            config,
        });
        Ok(Self { udp, tcp, shared })
    }

    /// The address answered on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.udp.local_addr()
    }

    /// Loads the zone through `core`, then answers until dropped, keeping
    /// the zone current with `changes` and the sweep.
    pub async fn run(self, core: Signet, changes: Arc<ZoneChanges>) {
        let (serials, serial_changes) = watch::channel(self.shared.zone.serial());
        let keeper = Keeper {
            core,
            zone: self.shared.zone.clone(),
            changes,
            serials,
        };
        let mut versions = HashMap::new();
        keeper.load(&mut versions).await;
        tracing::info!(
            zone = %self.shared.zone.apex(),
            records = self.shared.zone.len(),
            serial = self.shared.zone.serial(),
            "DNS zone loaded"
        );
        let notify = notify::run(
            self.shared.zone.clone(),
            self.shared.tsig.clone(),
            self.shared.config.notify.clone(),
            serial_changes,
        );
        // Several UDP loops on the one socket, one per core, so answering
        // is not bound to one thread. The set aborts them when `run` is
        // dropped (the server stopping).
        let udp = Arc::new(self.udp);
        let mut loops = tokio::task::JoinSet::new();
        for _ in 0..std::thread::available_parallelism().map_or(1, usize::from) {
            loops.spawn(udp::serve(udp.clone(), self.shared.clone()));
        }
        tokio::join!(
            keeper.run(versions),
            notify,
            tcp::serve(self.tcp, self.shared),
            loops.join_all(),
        );
    }
}

/// Describes the server's metrics to the installed recorder.
pub fn describe_metrics() {
    metrics::describe_counter!(
        "signet_dns_queries_total",
        "DNS requests answered, by transport and response code (`dropped`: not a query)"
    );
    metrics::describe_counter!(
        "signet_dns_rrl_dropped_total",
        "UDP responses dropped by response-rate limiting"
    );
    metrics::describe_counter!(
        "signet_dns_rrl_slipped_total",
        "UDP responses over the rate sent empty and truncated (slipped)"
    );
    metrics::describe_counter!("signet_dns_transfers_total", "Zone transfers served");
    metrics::describe_counter!(
        "signet_dns_tcp_refused_total",
        "DNS TCP connections closed at once: over the cap"
    );
    metrics::describe_counter!(
        "signet_dns_notify_total",
        "NOTIFY rounds to a secondary, answered or not"
    );
}

/// UDP and TCP sockets on one port. With port 0, the UDP socket's port is
/// taken for TCP too, trying again a few times if TCP's is in use.
async fn bind_both(listen: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..16 {
        let udp = UdpSocket::bind(listen).await?;
        let mut tcp_addr = listen;
        tcp_addr.set_port(udp.local_addr()?.port());
        match TcpListener::bind(tcp_addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if listen.port() == 0 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::ErrorKind::AddrInUse.into()))
}
