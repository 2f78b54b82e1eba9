//! One request, from its bytes to the bytes of its answer: parsing,
//! TSIG, the choice between an answer and a transfer, fitting UDP and
//! signing. Never panics on input: what does not parse gets FORMERR when
//! its header does, nothing otherwise.

use hickory_proto::op::{Header, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::RecordType;
use hickory_proto::serialize::binary::{BinDecodable as _, BinDecoder};

use crate::answer::{self, fit, reply, truncate, udp_limit};
use crate::transfer::Transfer;
use crate::tsig::{self, Signature, TSIG_ROOM};
use crate::Shared;

/// How a request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A datagram: answers must fit its payload size.
    Udp,
    /// A TCP stream: any size, and transfers.
    Tcp,
}

impl Transport {
    /// The label in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
        }
    }
}

/// What to send back.
pub enum Reply {
    /// Nothing (the request was not a DNS query).
    Nothing,
    /// One message.
    One(Vec<u8>),
    /// A zone transfer's messages.
    Transfer(Box<Transfer>),
}

/// The reply to the request `wire`.
pub fn handle(shared: &Shared, wire: &[u8], transport: Transport) -> Reply {
    let Ok(header) = Header::read(&mut BinDecoder::new(wire)) else {
        count(transport, "dropped");
        return Reply::Nothing;
    };
    // Never answer an answer: two servers would bounce it forever.
    if header.message_type() == MessageType::Response {
        count(transport, "dropped");
        return Reply::Nothing;
    }
    let request = match Message::from_vec(wire) {
        Ok(request) => request,
        Err(_) => return error(transport, &header, ResponseCode::FormErr),
    };
    if request.op_code() != OpCode::Query {
        return error(transport, &header, ResponseCode::NotImp);
    }
    if request.queries().len() != 1 {
        return error(transport, &header, ResponseCode::FormErr);
    }
    let key = shared.tsig.as_ref();
    let mac = match tsig::check(key, &request, wire) {
        Signature::Unsigned => None,
        Signature::Valid(mac) => Some(mac),
        Signature::Invalid(failure) => {
            count(transport, "NOTAUTH");
            let response = reply(&request, ResponseCode::NotAuth);
            return tsig::refuse(key, response, &failure).map_or(Reply::Nothing, Reply::One);
        }
    };
    let qtype = request.queries()[0].query_type();
    if matches!(qtype, RecordType::AXFR | RecordType::IXFR) {
        return transfer(shared, &request, transport, mac);
    }
    let response = answer::answer(&shared.zone, &request);
    count(transport, response_code(&response));
    let bytes = match (transport, mac) {
        (Transport::Udp, None) => fit(response, udp_limit(&request)),
        (Transport::Tcp, None) => response.to_vec().ok(),
        (transport, Some(mac)) => {
            let mut response = response;
            if transport == Transport::Udp && too_big(&response, udp_limit(&request)) {
                truncate(&mut response);
            }
            key.and_then(|k| k.sign_response(&response, &mac))
                .map(|(b, _)| b)
        }
    };
    bytes.map_or(Reply::Nothing, Reply::One)
}

/// AXFR and IXFR (answered as AXFR, RFC 1995 section 4): over TCP, signed
/// with the configured key, for the apex only.
fn transfer(
    shared: &Shared,
    request: &Message,
    transport: Transport,
    mac: Option<Vec<u8>>,
) -> Reply {
    let key = shared.tsig.as_ref();
    let refuse = |code: ResponseCode| {
        count(transport, rcode(code));
        let response = reply(request, code);
        let bytes = match (&mac, key) {
            (Some(mac), Some(key)) => key.sign_response(&response, mac).map(|(b, _)| b),
            _ => response.to_vec().ok(),
        };
        bytes.map_or(Reply::Nothing, Reply::One)
    };
    let (Transport::Tcp, Some(mac), Some(key)) = (transport, &mac, key) else {
        tracing::debug!(?transport, signed = mac.is_some(), "zone transfer refused");
        return refuse(ResponseCode::Refused);
    };
    if request.queries()[0].name() != shared.zone.apex() {
        return refuse(ResponseCode::NotAuth);
    }
    count(transport, "NOERROR");
    metrics::counter!("signet_dns_transfers_total").increment(1);
    Reply::Transfer(Box::new(Transfer::new(
        &shared.zone,
        request,
        key.clone(),
        mac.clone(),
    )))
}

/// An error answer from the header alone: the question is not echoed,
/// since it may be what failed to parse.
fn error(transport: Transport, header: &Header, code: ResponseCode) -> Reply {
    count(transport, rcode(code));
    let mut response = Message::new();
    response
        .set_id(header.id())
        .set_message_type(MessageType::Response)
        .set_op_code(header.op_code())
        .set_response_code(code);
    response.to_vec().map_or(Reply::Nothing, Reply::One)
}

fn too_big(response: &Message, limit: usize) -> bool {
    response
        .to_vec()
        .map_or(true, |b| b.len() + TSIG_ROOM > limit)
}

fn response_code(response: &Message) -> &'static str {
    rcode(response.response_code())
}

/// The code's mnemonic, as dig shows it.
fn rcode(code: ResponseCode) -> &'static str {
    match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::NotAuth => "NOTAUTH",
        _ => "OTHER",
    }
}

/// Counts a reply in `signet_dns_queries_total`.
pub fn count(transport: Transport, rcode: &'static str) {
    metrics::counter!(
        "signet_dns_queries_total",
        "transport" => transport.as_str(),
        "rcode" => rcode
    )
    .increment(1);
}
