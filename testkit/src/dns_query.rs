//! Asking a DNS server on loopback a question, as a stub resolver does:
//! UDP with EDNS, again over TCP when the answer comes back truncated.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

pub use hickory_proto::op::ResponseCode;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
pub use hickory_proto::rr::RecordType;
use hickory_proto::rr::{Name, RData, Record};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};

/// How long one attempt waits for an answer.
const ATTEMPT: Duration = Duration::from_secs(2);
/// How many UDP attempts a question gets.
const ATTEMPTS: usize = 3;

/// A server's answer to one question.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Its RCODE.
    pub code: ResponseCode,
    /// Whether the AA bit was set.
    pub authoritative: bool,
    /// The answer section.
    pub records: Vec<Record>,
}

impl Answer {
    /// The TXT records of the answer section, each one's strings joined,
    /// sorted.
    pub fn txt(&self) -> Vec<String> {
        let mut values: Vec<String> = self
            .records
            .iter()
            .filter_map(|record| match record.data() {
                RData::TXT(txt) => Some(
                    txt.txt_data()
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect(),
                ),
                _ => None,
            })
            .collect();
        values.sort();
        values
    }

    /// The serial of the SOA in the answer section.
    pub fn soa_serial(&self) -> Option<u32> {
        self.records.iter().find_map(|record| match record.data() {
            RData::SOA(soa) => Some(soa.serial()),
            _ => None,
        })
    }

    /// The targets of the CNAMEs in the answer section, in order.
    pub fn cnames(&self) -> Vec<String> {
        self.records
            .iter()
            .filter_map(|record| match record.data() {
                RData::CNAME(target) => Some(target.0.to_ascii()),
                _ => None,
            })
            .collect()
    }
}

/// Asks `server` for `name`'s `rtype` records (recursion desired, so a
/// resolver answers too). An error is a timeout or a malformed reply.
pub async fn ask(server: SocketAddr, name: &str, rtype: RecordType) -> io::Result<Answer> {
    let id: u16 = rand::random();
    let question = question(id, name, rtype)?;
    let mut reply = None;
    for _ in 0..ATTEMPTS {
        if let Some(message) = over_udp(server, &question, id).await? {
            reply = Some(message);
            break;
        }
    }
    let mut reply = reply.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{server} did not answer {name} {rtype} in {ATTEMPTS} tries"),
        )
    })?;
    if reply.truncated() {
        reply = over_tcp(server, &question).await?;
    }
    Ok(Answer {
        code: reply.response_code(),
        authoritative: reply.authoritative(),
        records: reply.answers().to_vec(),
    })
}

/// The TXT records at `name` on `server`, each one's strings joined,
/// sorted; none for NXDOMAIN or no data. Fails the test on a timeout or
/// another RCODE.
pub async fn txt(server: SocketAddr, name: &str) -> Vec<String> {
    let answer = ask(server, name, RecordType::TXT)
        .await
        .unwrap_or_else(|e| panic!("TXT {name} at {server}: {e}"));
    match answer.code {
        ResponseCode::NoError | ResponseCode::NXDomain => answer.txt(),
        code => panic!("TXT {name} at {server}: {code}"),
    }
}

/// The serial of zone `zone` on `server`, when `server` answers for it with
/// authority; `None` while it does not (a secondary before its first
/// transfer, a server not listening yet).
pub async fn soa_serial(server: SocketAddr, zone: &str) -> Option<u32> {
    let answer = ask(server, zone, RecordType::SOA).await.ok()?;
    (answer.code == ResponseCode::NoError && answer.authoritative)
        .then(|| answer.soa_serial())
        .flatten()
}

/// The question's wire form.
fn question(id: u16, name: &str, rtype: RecordType) -> io::Result<Vec<u8>> {
    let name = Name::from_ascii(name).map_err(io::Error::other)?;
    let mut message = Message::new();
    message
        .set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name, rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(4096);
    message.set_edns(edns);
    message.to_vec().map_err(io::Error::other)
}

/// One UDP attempt: the reply with our id, or `None` after [`ATTEMPT`].
async fn over_udp(server: SocketAddr, question: &[u8], id: u16) -> io::Result<Option<Message>> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    socket.send_to(question, server).await?;
    let mut buf = vec![0; 65535];
    let receive = async {
        loop {
            let (len, from) = socket.recv_from(&mut buf).await?;
            if from != server {
                continue;
            }
            let message = Message::from_vec(&buf[..len]).map_err(io::Error::other)?;
            if message.id() == id {
                return io::Result::Ok(message);
            }
        }
    };
    match tokio::time::timeout(ATTEMPT, receive).await {
        Ok(message) => message.map(Some),
        Err(_) => Ok(None),
    }
}

/// The question over TCP (two-byte length prefixes).
async fn over_tcp(server: SocketAddr, question: &[u8]) -> io::Result<Message> {
    let exchange = async {
        let mut stream = TcpStream::connect(server).await?;
        let len = u16::try_from(question.len()).map_err(io::Error::other)?;
        stream.write_all(&len.to_be_bytes()).await?;
        stream.write_all(question).await?;
        let len = stream.read_u16().await?;
        let mut buf = vec![0; usize::from(len)];
        stream.read_exact(&mut buf).await?;
        Message::from_vec(&buf).map_err(io::Error::other)
    };
    tokio::time::timeout(ATTEMPT, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no TCP answer"))?
}
