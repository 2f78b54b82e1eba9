//! Zone transfers (RFC 5936): the SOA, every record, the SOA again, in
//! messages of about 16 KB, each signed with TSIG and chained to the one
//! before. The records are copied under one read lock when the transfer
//! starts, so a reload during it cannot mix two versions.

use std::collections::VecDeque;

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
    records: VecDeque<Record>,
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
        let mut records = VecDeque::from(zone.all_records());
        records.push_front(soa.clone());
        records.push_back(soa);
        Self {
            request: request.clone(),
            records,
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
        if self.records.is_empty() {
            return None;
        }
        let mut message = reply(&self.request, ResponseCode::NoError);
        message.set_authoritative(true);
        if !self.first {
            // The question goes in the first message only (RFC 5936 2.2).
            message.take_queries();
        }
        let mut size = 0;
        while let Some(record) = self.records.pop_front() {
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
