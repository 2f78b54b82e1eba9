//! The UDP loop: rate limiting per source network first, before any
//! parsing, then the answer, sent back from the same socket.

use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::{Message, MessageType};
use tokio::net::UdpSocket;

use crate::answer::{reply, truncate};
use crate::handle::{handle, Reply, Transport};
use crate::rrl::Decision;
use crate::Shared;

/// The largest datagram read; longer ones are cut and fail to parse.
const MAX_DATAGRAM: usize = 4096;

/// Answers datagrams on `socket` for ever.
pub async fn serve(socket: Arc<UdpSocket>, shared: Arc<Shared>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(e) => {
                // An ICMP error for an earlier answer, on some systems.
                tracing::debug!(error = %e, "UDP receive failed");
                continue;
            }
        };
        let wire = &buf[..len];
        let decision = match &shared.rrl {
            Some(rrl) => rrl.decide(peer.ip(), Instant::now()),
            None => Decision::Answer,
        };
        let bytes = match decision {
            Decision::Answer => match handle(&shared, wire, Transport::Udp) {
                Reply::One(bytes) => Some(bytes),
                Reply::Nothing | Reply::Transfer(_) => None,
            },
            Decision::Drop => {
                metrics::counter!("signet_dns_rrl_dropped_total").increment(1);
                None
            }
            Decision::Slip => {
                metrics::counter!("signet_dns_rrl_slipped_total").increment(1);
                slip(wire)
            }
        };
        if let Some(bytes) = bytes {
            if let Err(e) = socket.send_to(&bytes, peer).await {
                tracing::debug!(error = %e, %peer, "UDP send failed");
            }
        }
    }
}

/// The empty truncated answer a slipped query gets, if it is a query.
fn slip(wire: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(wire).ok()?;
    if request.message_type() != MessageType::Query || request.queries().len() != 1 {
        return None;
    }
    let mut response = reply(&request, hickory_proto::op::ResponseCode::NoError);
    truncate(&mut response);
    response.to_vec().ok()
}
