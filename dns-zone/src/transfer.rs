//! Zone transfers (RFC 5936): the SOA, every record, the SOA again, in
//! messages of about 16 KB, each signed with TSIG and chained to the one
//! before. The served names are taken under one read lock when the
//! transfer starts (shared, not copied), so a reload during it cannot mix
//! two versions, and each message's records are made as it is sent.

use std::iter::{once, Peekable};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::BinEncodable as _;

use crate::answer::reply;
use crate::tsig::Tsig;
use crate::zone::Zone;

/// A message is closed once its records pass this size.
const MESSAGE_SIZE: usize = 16 * 1024;

/// A transfer in progress: yields its signed messages one by one.
pub struct Transfer {
    request: Message,
    records: Peekable<Box<dyn Iterator<Item = Record> + Send>>,
    key: Tsig,
    /// The MAC the next message is signed over: the request's, then each
    /// message's own.
    mac: Vec<u8>,
    first: bool,
}

impl Transfer {
    /// The transfer of `zone` asked for by `request`, signed with `key`
    /// after the request's MAC `request_mac`.
    pub fn new(zone: &Zone, request: &Message, key: Tsig, request_mac: Vec<u8>) -> Self {
        let soa = zone.soa();
        let records: Box<dyn Iterator<Item = Record> + Send> = Box::new(
            once(soa.clone())
                .chain(zone.ns())
                .chain(zone.snapshot().into_records())
                .chain(once(soa)),
        );
        Self {
            request: request.clone(),
            records: records.peekable(),
            key,
            mac: request_mac,
            first: true,
        }
    }
}

impl Iterator for Transfer {
    type Item = Vec<u8>;

    /// The next signed message, until every record is sent.
    fn next(&mut self) -> Option<Vec<u8>> {
        self.records.peek()?;
        let mut message = reply(&self.request, ResponseCode::NoError);
        message.set_authoritative(true);
        if !self.first {
            // The question goes in the first message only (RFC 5936 2.2).
            message.take_queries();
        }
        let mut size = 0;
        for record in self.records.by_ref() {
            size += record.to_bytes().map_or(0, |b| b.len());
            message.add_answer(record);
            if size >= MESSAGE_SIZE {
                break;
            }
        }
        let signed = if self.first {
            self.key.sign_response(&message, &self.mac)
        } else {
            self.key.sign_next(&message, &self.mac)
        };
        self.first = false;
        let (bytes, mac) = signed?;
        self.mac = mac;
        Some(bytes)
    }
}
