//! Answers to ordinary queries from the zone in memory: what each name
//! and type gets, with the authority section a resolver needs to cache a
//! negative answer.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{DNSClass, LowerName, RecordType};

use crate::zone::{Found, Zone};

/// The largest EDNS payload Signet offers and accepts on UDP (the DNS flag
/// day 2020 value, which avoids IP fragmentation).
pub const MAX_UDP_PAYLOAD: u16 = 1232;

/// A response to `request` with its header, question and EDNS in place
/// and no records: the start of every answer.
pub fn reply(request: &Message, code: ResponseCode) -> Message {
    let mut response = Message::new();
    response
        .set_id(request.id())
        .set_message_type(MessageType::Response)
        .set_op_code(request.op_code())
        .set_recursion_desired(request.recursion_desired())
        .set_checking_disabled(request.checking_disabled())
        .set_response_code(code);
    if request.op_code() == OpCode::Query {
        response.add_queries(request.queries().iter().cloned());
    }
    if request.extensions().is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(MAX_UDP_PAYLOAD);
        response.set_edns(edns);
    }
    response
}

/// The answer to a query (one question, opcode QUERY, not a transfer).
pub fn answer(zone: &Zone, request: &Message) -> Message {
    let Some(query) = request.query() else {
        return reply(request, ResponseCode::FormErr);
    };
    let qtype = query.query_type();
    let name = LowerName::from(query.name());
    let found = zone.find(&name);
    if found == Found::Outside || !matches!(query.query_class(), DNSClass::IN) {
        return reply(request, ResponseCode::Refused);
    }
    if qtype == RecordType::ANY {
        return reply(request, ResponseCode::NotImp);
    }
    let mut response = reply(request, ResponseCode::NoError);
    response.set_authoritative(true);
    match (found, qtype) {
        (Found::Apex, RecordType::SOA) => {
            response.add_answer(zone.soa());
        }
        (Found::Apex, RecordType::NS) => {
            response.add_answers(zone.ns());
        }
        (Found::Txt(records), RecordType::TXT) => {
            // Under the name as asked, case included: as other servers
            // answer, and so it compresses against the question.
            response.add_answers(records.into_iter().map(|mut record| {
                record.set_name(query.name().clone());
                record
            }));
        }
        (Found::NxDomain, _) => {
            response.set_response_code(ResponseCode::NXDomain);
            response.add_name_server(zone.soa());
        }
        // NODATA: the name exists, without records of this type.
        _ => {
            response.add_name_server(zone.soa());
        }
    }
    response
}

/// `response` encoded for UDP within `limit` bytes: if it does not fit,
/// the same header and question with TC set and no records, so the
/// client asks again over TCP.
pub fn fit(mut response: Message, limit: usize) -> Option<Vec<u8>> {
    let bytes = response.to_vec().ok()?;
    if bytes.len() <= limit {
        return Some(bytes);
    }
    truncate(&mut response);
    response.to_vec().ok()
}

/// Drops every record but the EDNS OPT and sets TC.
pub fn truncate(response: &mut Message) {
    response.take_answers();
    response.take_name_servers();
    response.take_additionals();
    response.set_truncated(true);
}

/// The UDP payload `request` allows: its EDNS size capped at
/// [`MAX_UDP_PAYLOAD`] and at least 512, or 512 without EDNS.
pub fn udp_limit(request: &Message) -> usize {
    match request.extensions() {
        Some(edns) => usize::from(edns.max_payload().clamp(512, MAX_UDP_PAYLOAD)),
        None => 512,
    }
}
