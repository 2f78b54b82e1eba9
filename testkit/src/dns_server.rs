//! A real DNS server on loopback (UDP and TCP, one port) whose records tests
//! set while it runs. It is authoritative for every name: names never set get
//! NXDOMAIN, names set to time out get no answer at all.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use hickory_proto::op::{Edns, Header, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::xfer::Protocol;
use hickory_server::authority::MessageResponseBuilder;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::ServerFuture;
use tokio::net::{TcpListener, UdpSocket};

/// How long an idle TCP connection stays open.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// A DNS server on loopback whose records tests set. Dropping it stops it.
pub struct TestDns {
    addr: SocketAddr,
    zone: Arc<Zone>,
    // Owns the serving tasks: dropping it aborts them.
    _server: ServerFuture<Handler>,
}

impl TestDns {
    /// Starts the server on a free loopback port, UDP and TCP alike.
    pub async fn start() -> Self {
        let zone = Arc::new(Zone::default());
        let mut server = ServerFuture::new(Handler(zone.clone()));
        let (udp, tcp) = bind_pair().await;
        let addr = udp.local_addr().expect("a bound socket has an address");
        server.register_socket(udp);
        server.register_listener(tcp, TCP_IDLE);
        Self {
            addr,
            zone,
            _server: server,
        }
    }

    /// Where it listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the TXT records at `name`; each inner list is one record's
    /// character-strings (at most 255 bytes each). An empty list leaves the
    /// name existing with no TXT record.
    pub fn set_txt(&self, name: &str, records: Vec<Vec<String>>) {
        for s in records.iter().flatten() {
            assert!(s.len() <= 255, "a character-string holds at most 255 bytes");
        }
        let txt = records.into_iter().map(TXT::new).collect();
        self.zone.edit(name, |entry| entry.txt = txt);
    }

    /// Gives `name` an A record, keeping its TXT records: a name with only
    /// this answers TXT queries with NOERROR and no answer.
    pub fn set_a(&self, name: &str, ip: Ipv4Addr) {
        self.zone.edit(name, |entry| entry.a = Some(ip));
    }

    /// Makes queries for `name` go unanswered.
    pub fn set_timeout(&self, name: &str) {
        self.zone.write().insert(key(name), Entry::Silent);
    }

    /// Makes queries for `name` get SERVFAIL, as from a broken server.
    pub fn set_servfail(&self, name: &str) {
        self.zone.write().insert(key(name), Entry::ServFail);
    }

    /// Forgets `name`: it gets NXDOMAIN again.
    pub fn clear(&self, name: &str) {
        self.zone.write().remove(&key(name));
    }

    /// How many queries for `name` arrived, over either protocol.
    pub fn queries(&self, name: &str) -> usize {
        let counts = self
            .zone
            .counts
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        counts.get(&key(name)).copied().unwrap_or(0)
    }

    /// How many queries arrived over TCP (after a truncated UDP answer).
    pub fn tcp_queries(&self) -> usize {
        self.zone.tcp_queries.load(Ordering::Relaxed)
    }
}

/// A TXT value cut into character-strings of at most 255 bytes, as DNS
/// providers publish long records (the inner list [`TestDns::set_txt`] takes).
pub fn split(value: &str) -> Vec<String> {
    value
        .as_bytes()
        .chunks(255)
        .map(|chunk| String::from_utf8(chunk.to_vec()).expect("records are ASCII"))
        .collect()
}

/// UDP and TCP sockets on the same free loopback port.
async fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("binding a loopback UDP socket");
        let addr = udp.local_addr().expect("a bound socket has an address");
        if let Ok(tcp) = TcpListener::bind(addr).await {
            return (udp, tcp);
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}

/// A name's lookup key: lower case, no trailing dot.
fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// What the server knows of one name.
enum Entry {
    /// Queries are dropped unanswered.
    Silent,
    /// Queries get SERVFAIL.
    ServFail,
    /// The name exists with these records.
    Records(Records),
}

/// The records a name holds.
#[derive(Default)]
struct Records {
    txt: Vec<TXT>,
    a: Option<Ipv4Addr>,
}

/// The server's data, shared with the tests.
#[derive(Default)]
struct Zone {
    names: RwLock<HashMap<String, Entry>>,
    counts: RwLock<HashMap<String, usize>>,
    tcp_queries: AtomicUsize,
}

impl Zone {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Entry>> {
        self.names.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes a name's records, creating the name (or waking a silent one).
    fn edit(&self, name: &str, change: impl FnOnce(&mut Records)) {
        let mut names = self.write();
        let mut records = match names.remove(&key(name)) {
            Some(Entry::Records(records)) => records,
            Some(Entry::Silent | Entry::ServFail) | None => Records::default(),
        };
        change(&mut records);
        names.insert(key(name), Entry::Records(records));
    }

    /// Notes a query and says how to answer it; `None` means stay silent.
    fn answer(&self, name: &Name, qtype: RecordType, protocol: Protocol) -> Option<Answer> {
        let key = key(&name.to_ascii());
        *self
            .counts
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default() += 1;
        if protocol == Protocol::Tcp {
            self.tcp_queries.fetch_add(1, Ordering::Relaxed);
        }
        let names = self.names.read().unwrap_or_else(PoisonError::into_inner);
        match names.get(&key) {
            None => Some(Answer::NoSuchName),
            Some(Entry::Silent) => None,
            Some(Entry::ServFail) => Some(Answer::ServFail),
            Some(Entry::Records(records)) => {
                let data: Vec<RData> = match qtype {
                    RecordType::TXT => records.txt.iter().cloned().map(RData::TXT).collect(),
                    RecordType::A => records.a.iter().map(|ip| RData::A(A(*ip))).collect(),
                    _ => Vec::new(),
                };
                let records = data
                    .into_iter()
                    .map(|rdata| Record::from_rdata(name.clone(), 0, rdata))
                    .collect();
                Some(Answer::Records(records))
            }
        }
    }
}

/// How a query is answered.
enum Answer {
    Records(Vec<Record>),
    NoSuchName,
    ServFail,
}

/// Serves the zone.
struct Handler(Arc<Zone>);

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut builder = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = request.edns() {
            let mut ours = Edns::new();
            ours.set_max_payload(edns.max_payload());
            builder.edns(ours);
        }
        let query = match request.queries() {
            [query]
                if request.message_type() == MessageType::Query
                    && request.op_code() == OpCode::Query =>
            {
                query
            }
            _ => {
                let response = builder.error_msg(request.header(), ResponseCode::FormErr);
                return sent(response_handle.send_response(response).await, request);
            }
        };
        let name = query.original().name().clone();
        let Some(answer) = self.0.answer(&name, query.query_type(), request.protocol()) else {
            // Silent: the client times out.
            return ResponseInfo::from(Header::response_from_request(request.header()));
        };

        let (answers, code) = match answer {
            Answer::Records(records) => (records, ResponseCode::NoError),
            Answer::NoSuchName => (Vec::new(), ResponseCode::NXDomain),
            Answer::ServFail => {
                let response = builder.error_msg(request.header(), ResponseCode::ServFail);
                return sent(response_handle.send_response(response).await, request);
            }
        };
        let mut header = Header::response_from_request(request.header());
        header.set_authoritative(true);
        header.set_response_code(code);
        // Negative answers carry the SOA, as an authoritative server's do.
        let soa = if answers.is_empty() {
            vec![soa()]
        } else {
            Vec::new()
        };
        let response = builder.build(header, answers.iter(), [], soa.iter(), []);
        sent(response_handle.send_response(response).await, request)
    }
}

/// The zone's SOA, owned by the root; TTLs of zero so nothing is cached.
fn soa() -> Record {
    let host = |s: &str| Name::from_ascii(s).expect("a valid constant name");
    let data = SOA::new(host("ns.test."), host("hostmaster.test."), 1, 60, 60, 60, 0);
    Record::from_rdata(Name::root(), 0, RData::SOA(data))
}

/// The sent response's info, or a SERVFAIL header if sending failed.
fn sent(result: std::io::Result<ResponseInfo>, request: &Request) -> ResponseInfo {
    result.unwrap_or_else(|_| {
        let mut header = Header::response_from_request(request.header());
        header.set_response_code(ResponseCode::ServFail);
        header.into()
    })
}
