//! Zone transfers: only over TCP and only signed with the configured TSIG
//! key. Unsigned is REFUSED, a wrong key or MAC NOTAUTH with the TSIG
//! error; a signed AXFR (and IXFR) gets every record between two SOAs,
//! each message signed and chained, as hickory's own client and BIND's
//! `dig -y` verify.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hickory_proto::dnssec::rdata::tsig::TsigAlgorithm;
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::dnssec::tsig::TSigner;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use signet_tests::{eventually, skip, spawn_app_configured};
use tokio::net::TcpStream;

use super::{
    addr, create_key, delegate, query, read_frame, serve_zone, served, tcp, txt_values, udp,
    udp_bytes, write_frame, TSIG_KEY, ZONE,
};

/// A signer for `name` with `secret`.
fn signer(name: &str, secret: &[u8]) -> TSigner {
    TSigner::new(
        secret.to_vec(),
        TsigAlgorithm::HmacSha256,
        Name::from_ascii(name).unwrap(),
        300,
    )
    .unwrap()
}

/// The configured key's signer.
fn the_key() -> TSigner {
    let secret = TSIG_KEY.rsplit(':').next().unwrap();
    signer("xfr", &STANDARD.decode(secret).unwrap())
}

fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

/// The TSIG error of an answer's TSIG record, read from its RDATA's wire
/// form (the error field follows the MAC and the original id).
fn tsig_error(answer_bytes: &[u8]) -> u16 {
    let answer = Message::from_vec(answer_bytes).unwrap();
    let record = answer.signature().last().expect("a TSIG record");
    let RData::DNSSEC(DNSSECRData::TSIG(tsig)) = record.data() else {
        panic!("not a TSIG record");
    };
    assert!(
        tsig.mac().is_empty(),
        "a bad key's or MAC's error is unsigned"
    );
    let rdata = hickory_proto::serialize::binary::BinEncodable::to_bytes(tsig).unwrap();
    // Algorithm name, 6 bytes of time, fudge, MAC size, MAC, original id.
    let algorithm_len = rdata.iter().position(|&b| b == 0).unwrap() + 1;
    let at = algorithm_len + 6 + 2 + 2 + tsig.mac().len() + 2;
    u16::from_be_bytes([rdata[at], rdata[at + 1]])
}

#[tokio::test]
async fn a_signed_axfr_gets_every_record_signed_and_others_are_refused() {
    let app = spawn_app_configured(serve_zone).await;
    let dns = addr(&app);
    let (label, first) = delegate(&app, "example.com").await;
    let second = create_key(&app, "example.com", "big", 2048).await;
    let name = served(&label, "big");
    eventually(Duration::from_secs(5), "both keys are served", || async {
        let answer = udp(dns, &query(&name, RecordType::TXT, None)).await;
        (!answer.answers().is_empty()).then_some(())
    })
    .await;

    // Unsigned, over TCP: REFUSED.
    let unsigned = tcp(dns, &query(ZONE, RecordType::AXFR, None)).await;
    assert_eq!(unsigned.response_code(), ResponseCode::Refused);
    assert!(unsigned.answers().is_empty());

    // Signed with the right key but over UDP: REFUSED.
    let mut over_udp = query(ZONE, RecordType::AXFR, None);
    over_udp.finalize(&the_key(), now()).unwrap();
    let bytes = udp_bytes(dns, &over_udp.to_vec().unwrap()).await.unwrap();
    assert_eq!(
        Message::from_vec(&bytes).unwrap().response_code(),
        ResponseCode::Refused
    );

    // A wrong secret (BADSIG) and an unknown key name (BADKEY): NOTAUTH.
    for (key, error) in [
        (signer("xfr", b"wrong secret"), 16),
        (signer("other", b"x"), 17),
    ] {
        let mut request = query(ZONE, RecordType::AXFR, None);
        request.finalize(&key, now()).unwrap();
        let mut stream = TcpStream::connect(dns).await.unwrap();
        write_frame(&mut stream, &request.to_vec().unwrap()).await;
        let bytes = read_frame(&mut stream).await.unwrap();
        let answer = Message::from_vec(&bytes).unwrap();
        assert_eq!(answer.response_code(), ResponseCode::NotAuth);
        assert!(answer.answers().is_empty());
        assert_eq!(tsig_error(&bytes), error);
    }

    // Signed with the key: every record, each message verified in turn.
    for qtype in [RecordType::AXFR, RecordType::IXFR] {
        let mut request = query(ZONE, qtype, None);
        let mut verify = request
            .finalize(&the_key(), now())
            .unwrap()
            .expect("a TSIG signer verifies answers");
        let mut stream = TcpStream::connect(dns).await.unwrap();
        write_frame(&mut stream, &request.to_vec().unwrap()).await;
        let mut records = Vec::new();
        while records
            .iter()
            .filter(|r: &&hickory_proto::rr::Record| r.record_type() == RecordType::SOA)
            .count()
            < 2
        {
            let bytes = read_frame(&mut stream).await.expect("the transfer goes on");
            let message = verify(&bytes).expect("each message's TSIG verifies");
            assert_eq!(message.response_code(), ResponseCode::NoError);
            records.extend(message.answers().iter().cloned());
        }
        assert_eq!(records.first().unwrap().record_type(), RecordType::SOA);
        assert_eq!(records.last().unwrap().record_type(), RecordType::SOA);
        let mut transferred = Message::new();
        transferred.add_answers(records.clone());
        let mut values = txt_values(&transferred);
        values.sort();
        let mut expected = vec![first.clone(), second.clone()];
        expected.sort();
        assert_eq!(values, expected, "{qtype}");
        assert!(records.iter().any(|r| r.record_type() == RecordType::NS));
    }
}

#[tokio::test]
async fn dig_transfers_the_zone_with_the_key_and_checks_every_signature() {
    if std::process::Command::new("dig")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(!signet_testkit::on_ci(), "CI=true but dig is missing");
        skip("no dig (bind9-dnsutils)");
        return;
    }
    let app = spawn_app_configured(serve_zone).await;
    let dns = addr(&app);
    let (label, _) = delegate(&app, "example.com").await;
    let name = served(&label, "pdk1");
    eventually(Duration::from_secs(5), "the key is served", || async {
        let answer = udp(dns, &query(&name, RecordType::TXT, None)).await;
        (!answer.answers().is_empty()).then_some(())
    })
    .await;
    let secret = TSIG_KEY.rsplit(':').next().unwrap();
    let dig = |key: String| {
        let port = dns.port().to_string();
        async move {
            tokio::process::Command::new("dig")
                .args(["@127.0.0.1", "-p", &port, ZONE, "AXFR", "-y", &key])
                .output()
                .await
                .unwrap()
        }
    };
    let good = dig(format!("hmac-sha256:xfr:{secret}")).await;
    let out = String::from_utf8_lossy(&good.stdout);
    assert!(out.contains(&name), "{out}");
    assert!(
        !out.contains("failed") && !out.contains("TSIG error"),
        "{out}"
    );
    let bad = dig("hmac-sha256:xfr:d3Jvbmc=".to_owned()).await;
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(!out.contains(&name), "{out}");
}
