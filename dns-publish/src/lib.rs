//! Signet's RFC 2136 client: one TSIG-signed UPDATE per call, over TCP, to
//! a tenant's primary name server.
//!
//! Built on `hickory-proto` 0.25 (its `TSigner` and update message
//! helpers), the version the resolver and the test servers already use.
//! Stalwart's `dns-update` 0.6 was the other candidate: it pulls a second
//! hickory (0.26), reqwest 0.13 and aws-lc-sys (a C build) into the
//! workspace, sends each add or delete as its own UPDATE with no
//! prerequisites, and reports failures as text. Here one UPDATE carries a
//! whole change (adds and exact-RR deletes, applied together or not at
//! all) with its prerequisites, and failures come back typed.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hickory_proto::dnssec::rdata::tsig::TsigAlgorithm as WireAlgorithm;
use hickory_proto::dnssec::tsig::TSigner;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode, UpdateMessage as _};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use signet_domain::ports::DnsUpdater;
use signet_domain::tsig::TsigAlgorithm;
use signet_domain::{PublisherConfig, TxtRecord, UpdateFailure, ZoneUpdate};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How far the server's clock may be from ours (RFC 8945 recommends 300 s).
const FUDGE: u16 = 300;

/// Sends updates over TCP, each within a deadline.
#[derive(Debug, Clone, Copy)]
pub struct Rfc2136 {
    timeout: Duration,
}

impl Rfc2136 {
    /// A client whose every update (connect, send, answer) takes at most `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

#[async_trait]
impl DnsUpdater for Rfc2136 {
    async fn update(
        &self,
        config: &PublisherConfig,
        update: &ZoneUpdate,
    ) -> Result<(), UpdateFailure> {
        let signer = signer(config)?;
        let mut message = message(update)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut verify = message
            .finalize(&signer, u32::try_from(now).unwrap_or(u32::MAX))
            .map_err(|e| UpdateFailure::Unreachable(format!("cannot sign the update: {e}")))?;
        let request = message
            .to_vec()
            .map_err(|e| UpdateFailure::Unreachable(format!("cannot encode the update: {e}")))?;
        let answer = tokio::time::timeout(self.timeout, exchange(config.server, &request))
            .await
            .map_err(|_| UpdateFailure::Timeout(self.timeout.as_secs().max(1)))??;
        let response = Message::from_vec(&answer)
            .map_err(|e| UpdateFailure::Unreachable(format!("the answer is not DNS: {e}")))?;
        if response.id() != message.id() {
            return Err(UpdateFailure::Unreachable(
                "the answer is for another message".into(),
            ));
        }
        match response.response_code() {
            ResponseCode::NoError => {
                // Only a signed answer says the update was applied.
                let verified = verify.as_mut().map(|verify| verify(&answer));
                match verified {
                    Some(Ok(_)) => Ok(()),
                    _ => Err(UpdateFailure::NotAuthorized(
                        "the answer's TSIG signature does not verify".into(),
                    )),
                }
            }
            ResponseCode::Refused => Err(UpdateFailure::Refused),
            ResponseCode::NotAuth => Err(UpdateFailure::NotAuthorized(
                match tsig_error(&answer, &response) {
                    Some(error) => {
                        format!(
                            "NOTAUTH, TSIG {error}: check the key's name, algorithm and secret, \
                         and that the server's policy lets it update these names"
                        )
                    }
                    None => {
                        "NOTAUTH: check the key, and that the server is the zone's primary".into()
                    }
                },
            )),
            code @ (ResponseCode::YXRRSet
            | ResponseCode::NXRRSet
            | ResponseCode::YXDomain
            | ResponseCode::NXDomain) => Err(UpdateFailure::Prerequisite(
                code.to_str().to_uppercase(),
                "the zone has no SOA at its name, or a CNAME stands at a record's name".into(),
            )),
            ResponseCode::NotZone => Err(UpdateFailure::Prerequisite(
                "NOTZONE".into(),
                "a record's name is outside the zone".into(),
            )),
            code => Err(UpdateFailure::Rcode(code.to_str().to_uppercase())),
        }
    }
}

/// The signer of `config`'s key.
fn signer(config: &PublisherConfig) -> Result<TSigner, UpdateFailure> {
    let algorithm = match config.key.algorithm {
        TsigAlgorithm::HmacSha256 => WireAlgorithm::HmacSha256,
        TsigAlgorithm::HmacSha384 => WireAlgorithm::HmacSha384,
        TsigAlgorithm::HmacSha512 => WireAlgorithm::HmacSha512,
    };
    let name = fqdn(config.key.name.as_str())?;
    TSigner::new(config.key.secret().to_vec(), algorithm, name, FUDGE)
        .map_err(|e| UpdateFailure::Unreachable(format!("cannot use the TSIG key: {e}")))
}

/// The UPDATE: the zone, its prerequisites (the zone's SOA exists, and no
/// CNAME stands where a record is added), the adds and the exact-RR deletes.
fn message(update: &ZoneUpdate) -> Result<Message, UpdateFailure> {
    let zone = fqdn(update.zone.as_str())?;
    let mut message = Message::new();
    message
        .set_id(rand::random())
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Update)
        .set_recursion_desired(false);
    let mut question = Query::query(zone.clone(), RecordType::SOA);
    question.set_query_class(DNSClass::IN);
    message.add_zone(question);
    // RRset exists (value independent): CLASS ANY, TTL 0, no RDATA.
    let mut soa = Record::update0(zone, 0, RecordType::SOA);
    soa.set_dns_class(DNSClass::ANY);
    message.add_pre_requisite(soa);
    for record in &update.add {
        // RRset does not exist: CLASS NONE, TTL 0, no RDATA.
        let mut cname = Record::update0(fqdn(&record.name)?, 0, RecordType::CNAME);
        cname.set_dns_class(DNSClass::NONE);
        message.add_pre_requisite(cname);
        message.add_update(txt(record, update.ttl)?);
    }
    for record in &update.delete {
        // Delete an RR from an RRset: CLASS NONE, TTL 0, the exact RDATA.
        let mut rr = txt(record, 0)?;
        rr.set_dns_class(DNSClass::NONE);
        message.add_update(rr);
    }
    Ok(message)
}

fn txt(record: &TxtRecord, ttl: u32) -> Result<Record, UpdateFailure> {
    Ok(Record::from_rdata(
        fqdn(&record.name)?,
        ttl,
        RData::TXT(TXT::new(record.strings.clone())),
    ))
}

fn fqdn(name: &str) -> Result<Name, UpdateFailure> {
    let mut name = Name::from_ascii(name)
        .map_err(|e| UpdateFailure::Unreachable(format!("{name:?} is not a DNS name: {e}")))?;
    name.set_fqdn(true);
    Ok(name)
}

/// Sends one message over TCP (two-byte length prefix) and reads one answer.
async fn exchange(server: SocketAddr, request: &[u8]) -> Result<Vec<u8>, UpdateFailure> {
    let io = |e: std::io::Error| UpdateFailure::Unreachable(format!("{server}: {e}"));
    let mut stream = TcpStream::connect(server).await.map_err(io)?;
    let len = u16::try_from(request.len())
        .map_err(|_| UpdateFailure::Unreachable("the update is larger than 64 KiB".into()))?;
    let mut framed = Vec::with_capacity(request.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(request);
    stream.write_all(&framed).await.map_err(io)?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.map_err(io)?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut answer).await.map_err(io)?;
    Ok(answer)
}

/// The TSIG error of an answer (RFC 8945 5.3): the two bytes before the
/// "other data" length that ends its TSIG record, the last RR of the
/// message. hickory parses the record but does not expose the field.
fn tsig_error(raw: &[u8], response: &Message) -> Option<&'static str> {
    response.signature().last()?;
    let tail = |back: usize| -> Option<u16> {
        let at = raw.len().checked_sub(back)?;
        Some(u16::from_be_bytes([raw[at], raw[at + 1]]))
    };
    // Other data is empty, or six bytes of server time (BADTIME).
    let error = match tail(2)? {
        0 => tail(4)?,
        6 => tail(10)?,
        _ => return None,
    };
    match error {
        16 => Some("BADSIG"),
        17 => Some("BADKEY"),
        18 => Some("BADTIME"),
        22 => Some("BADTRUNC"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_domain::DomainName;

    #[test]
    fn an_update_names_its_zone_and_deletes_exact_records_only() {
        let record = |value: &str| TxtRecord {
            name: "s1._domainkey.example.com".into(),
            strings: vec![value.into()],
        };
        let update = ZoneUpdate {
            zone: DomainName::parse("example.com").unwrap(),
            ttl: 300,
            add: vec![record("k=rsa; p=NEW")],
            delete: vec![record("k=rsa; p=OLD")],
        };
        let message = message(&update).unwrap();
        assert_eq!(message.op_code(), OpCode::Update);
        assert_eq!(message.queries()[0].query_type(), RecordType::SOA);
        assert_eq!(
            message.answers().len(),
            2,
            "SOA exists, no CNAME at the name"
        );
        let updates = message.name_servers();
        assert_eq!(updates[0].dns_class(), DNSClass::IN);
        assert_eq!(updates[1].dns_class(), DNSClass::NONE);
        assert_eq!(
            updates[1].record_type(),
            RecordType::TXT,
            "never an RRset delete"
        );
    }
}
