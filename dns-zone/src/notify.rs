//! NOTIFY (RFC 1996): at start and on every new serial, each configured secondary is
//! told over UDP, TSIG-signed when a key is configured, and asked again a
//! few times until it answers. A newer serial replaces a round still
//! retrying.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{DNSClass, Record, RecordType};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::tsig::Tsig;
use crate::zone::Zone;

/// Tries per secondary and serial.
const ATTEMPTS: u32 = 5;
/// The wait for an answer to the first try; doubled at each retry.
const FIRST_WAIT: Duration = Duration::from_millis(500);

/// Sends a NOTIFY to every secondary in `targets` each time `serials`
/// moves, for ever.
pub async fn run(
    zone: Arc<Zone>,
    key: Option<Tsig>,
    targets: Vec<SocketAddr>,
    mut serials: watch::Receiver<u32>,
) {
    if targets.is_empty() {
        return;
    }
    let mut round = JoinSet::new();
    // A round at start too: a secondary's copy may be older than this
    // node's first load (and BIND's waits for a NOTIFY to transfer at all).
    loop {
        round.abort_all();
        let soa = zone.soa();
        for target in &targets {
            round.spawn(notify(soa.clone(), key.clone(), *target));
        }
        if serials.changed().await.is_err() {
            return;
        }
    }
}

/// Tells `target` about the zone of `soa`, until it answers.
async fn notify(soa: Record, key: Option<Tsig>, target: SocketAddr) {
    let bind: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let Ok(socket) = UdpSocket::bind(bind).await else {
        tracing::warn!(%target, "cannot open a socket to send a NOTIFY");
        return;
    };
    let mut wait = FIRST_WAIT;
    for attempt in 1..=ATTEMPTS {
        let id: u16 = rand::random();
        let Some(bytes) = message(&soa, key.as_ref(), id) else {
            return;
        };
        if socket.send_to(&bytes, target).await.is_ok() && answered(&socket, id, wait).await {
            metrics::counter!("signet_dns_notify_total", "outcome" => "answered").increment(1);
            tracing::debug!(%target, attempt, "NOTIFY answered");
            return;
        }
        wait *= 2;
    }
    metrics::counter!("signet_dns_notify_total", "outcome" => "unanswered").increment(1);
    tracing::warn!(%target, "a secondary did not answer a NOTIFY");
}

/// A NOTIFY of the zone of `soa`: its SOA question and, as RFC 1996 3.7
/// allows, the SOA in the answer so the secondary sees the new serial.
fn message(soa: &Record, key: Option<&Tsig>, id: u16) -> Option<Vec<u8>> {
    let mut message = Message::new();
    let mut query = Query::query(soa.name().clone(), RecordType::SOA);
    query.set_query_class(DNSClass::IN);
    message
        .set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Notify)
        .set_authoritative(true)
        .add_query(query)
        .add_answer(soa.clone());
    match key {
        Some(key) => key.sign_request(&message),
        None => message.to_vec().ok(),
    }
}

/// Whether an answer to `id` arrives within `wait`.
async fn answered(socket: &UdpSocket, id: u16, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match timeout(left, socket.recv(&mut buf)).await {
            Ok(Ok(len)) if len >= 2 && u16::from_be_bytes([buf[0], buf[1]]) == id => return true,
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => return false,
        }
    }
}
