//! Signet's own DNS zone, black-box over DNS against the real server:
//! answers, abuse, transfers, rate limiting and nodes agreeing.
//!
//! A test delegates a domain as a tenant does, with Mailgun's
//! `use_automatic_sender_security`, and makes keys over HTTP.

mod abuse;
mod answers;
mod hands_off;
mod nodes;
mod rrl;
mod secondary;
mod transfer;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use serde_json::{json, Value};
use signet_api::Settings;
use signet_domain::delegation::{served_name, ZoneLabel};
use signet_domain::tsig::TsigKey;
use signet_domain::{DomainName, Selector};
use signet_tests::dialect::mailgun::items;
use signet_tests::TestApp;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};

/// The zone every test app answers for.
pub const ZONE: &str = "zone.signet.test";

/// The transfer key every test app is configured with.
pub const TSIG_KEY: &str = "xfr:hmac-sha256:c2lnbmV0LXRlc3QtdHJhbnNmZXIta2V5LTMyYnl0ZXM=";

/// Answers DNS on a free loopback port for [`ZONE`], transfers signed with
/// [`TSIG_KEY`], without rate limiting.
pub fn serve_zone(settings: &mut Settings) {
    settings.dns_zone.listen = Some("127.0.0.1:0".parse().unwrap());
    settings.dns_zone.zone = Some(DomainName::parse(ZONE).unwrap());
    settings.dns_zone.tsig_key = Some(TsigKey::parse(TSIG_KEY).unwrap());
    settings.dns_zone.rrl_rate = 0;
}

/// Where `app` answers DNS.
pub fn addr(app: &TestApp) -> SocketAddr {
    app.dns_zone.expect("the app answers DNS")
}

/// Registers `domain` with Mailgun's Automatic Sender Security (which
/// makes its first key, `pdk1`, of 1024 bits); returns the label its
/// CNAMEs point under and `pdk1`'s record value.
pub async fn delegate(app: &TestApp, domain: &str) -> (ZoneLabel, String) {
    let response = app
        .post("/v4/domains")
        .form(&[
            ("name", domain),
            ("dkim_key_size", "1024"),
            ("use_automatic_sender_security", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    let target = body["sending_dns_records"][0]["value"]
        .as_str()
        .expect("a CNAME entry");
    let label = target
        .split_once("._domainkey.")
        .and_then(|(_, rest)| rest.strip_suffix(&format!(".{ZONE}")))
        .and_then(|label| ZoneLabel::parse(label).ok())
        .unwrap_or_else(|| panic!("a target under a label in the zone: {target}"));
    (label, record_value(app, domain, "pdk1").await)
}

/// Makes a key (over the Mailgun dialect, or GreenArrow's for 4096 bits,
/// which Mailgun's does not make); returns its record's value.
pub async fn create_key(app: &TestApp, domain: &str, selector: &str, bits: u32) -> String {
    if bits == 4096 {
        app.greenarrow()
            .create_ok(json!({ "domain": domain, "selector": selector, "key": { "bits": 4096 } }))
            .await;
    } else {
        let response = app
            .post("/v1/dkim/keys")
            .form(&[
                ("signing_domain", domain),
                ("selector", selector),
                ("bits", &bits.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
    record_value(app, domain, selector).await
}

/// The record value of `domain`'s key `selector`, as the Mailgun dialect
/// lists it.
pub async fn record_value(app: &TestApp, domain: &str, selector: &str) -> String {
    let listed: Value = app
        .get("/v1/dkim/keys")
        .query(&[("signing_domain", domain), ("selector", selector)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    items(&listed)
        .iter()
        .find(|k| k["selector"] == selector)
        .and_then(|k| k["dns_record"]["value"].as_str())
        .expect("the key is listed with its record")
        .to_owned()
}

/// The served name of `selector` under `label`.
pub fn served(label: &ZoneLabel, selector: &str) -> String {
    let zone = DomainName::parse(ZONE).unwrap();
    served_name(&zone, label, &Selector::parse(selector).unwrap())
}

/// A query for `name` and `qtype`, with EDNS of `payload` if given.
pub fn query(name: &str, qtype: RecordType, payload: Option<u16>) -> Message {
    let mut message = Message::new();
    message
        .set_id(rand::random())
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
    if let Some(payload) = payload {
        let mut edns = Edns::new();
        edns.set_max_payload(payload);
        message.set_edns(edns);
    }
    message
}

/// Sends `wire` over UDP and waits up to 2 s for the answer's bytes.
pub async fn udp_bytes(addr: SocketAddr, wire: &[u8]) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(wire, addr).await.unwrap();
    let mut buf = vec![0u8; 65_535];
    let received = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf)).await;
    let len = received.ok()?.ok()?;
    buf.truncate(len);
    Some(buf)
}

/// Asks `message` over UDP and parses the answer.
pub async fn udp(addr: SocketAddr, message: &Message) -> Message {
    let bytes = udp_bytes(addr, &message.to_vec().unwrap())
        .await
        .expect("an answer over UDP");
    let answer = Message::from_vec(&bytes).expect("the answer parses");
    assert_eq!(answer.id(), message.id());
    answer
}

/// Writes one framed message on `stream`.
pub async fn write_frame(stream: &mut TcpStream, wire: &[u8]) {
    let len = u16::try_from(wire.len()).unwrap().to_be_bytes();
    stream.write_all(&[&len[..], wire].concat()).await.unwrap();
}

/// Reads one framed message from `stream`; `None` once it is closed.
pub async fn read_frame(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.ok()?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).await.ok()?;
    Some(buf)
}

/// Asks `message` over a new TCP connection and parses the answer.
pub async fn tcp(addr: SocketAddr, message: &Message) -> Message {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    write_frame(&mut stream, &message.to_vec().unwrap()).await;
    let bytes = read_frame(&mut stream).await.expect("an answer over TCP");
    Message::from_vec(&bytes).expect("the answer parses")
}

/// The TXT strings of an answer, joined, one value per record.
pub fn txt_values(answer: &Message) -> Vec<String> {
    answer
        .answers()
        .iter()
        .filter_map(|r| r.data().as_txt())
        .map(|txt| {
            txt.iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<String>()
        })
        .collect()
}
