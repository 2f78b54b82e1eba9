//! Input meant to break the server: garbage datagrams, truncated and
//! stalled TCP frames, oversized names, several questions, other opcodes.
//! Each gets an error code or nothing, and the server answers on.

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::RecordType;
use signet_tests::spawn_app_configured;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use super::{addr, query, read_frame, serve_zone, tcp, udp, udp_bytes, write_frame, ZONE};

/// The zone still answers its SOA over UDP and TCP.
async fn still_answers(dns: std::net::SocketAddr) {
    let over_udp = udp(dns, &query(ZONE, RecordType::SOA, None)).await;
    assert_eq!(over_udp.response_code(), ResponseCode::NoError);
    let over_tcp = tcp(dns, &query(ZONE, RecordType::SOA, None)).await;
    assert_eq!(over_tcp.response_code(), ResponseCode::NoError);
}

#[tokio::test]
async fn garbage_gets_formerr_when_its_header_parses_and_nothing_otherwise() {
    let app = spawn_app_configured(serve_zone).await;
    let dns = addr(&app);

    // Too short for a header: dropped.
    for short in [&b""[..], b"\x12", b"hello"] {
        assert_eq!(udp_bytes(dns, short).await, None, "{short:?}");
    }
    // A header claiming a question that is not there: FORMERR.
    let mut header = vec![0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
    let answer = Message::from_vec(&udp_bytes(dns, &header).await.unwrap()).unwrap();
    assert_eq!(answer.id(), 0xabcd);
    assert_eq!(answer.response_code(), ResponseCode::FormErr);
    // A question whose name points past the end, then random bytes.
    header.extend([0xc0, 0xff]);
    header.extend((0..200).map(|i| (i * 37 % 251) as u8));
    let answer = Message::from_vec(&udp_bytes(dns, &header).await.unwrap()).unwrap();
    assert_eq!(answer.response_code(), ResponseCode::FormErr);

    // Two questions: FORMERR.
    let mut two = query(ZONE, RecordType::SOA, None);
    two.add_query(query(ZONE, RecordType::NS, None).queries()[0].clone());
    assert_eq!(udp(dns, &two).await.response_code(), ResponseCode::FormErr);

    // A name over 255 bytes, written label by label: FORMERR.
    let mut long = vec![0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
    for _ in 0..5 {
        long.push(63);
        long.extend([b'a'; 63]);
    }
    long.extend([0, 0, 16, 0, 1]);
    let answer = Message::from_vec(&udp_bytes(dns, &long).await.unwrap()).unwrap();
    assert_eq!(answer.response_code(), ResponseCode::FormErr);

    // Another opcode (UPDATE): NOTIMP.
    let mut update = query(ZONE, RecordType::SOA, None);
    update.set_op_code(OpCode::Update);
    assert_eq!(
        udp(dns, &update).await.response_code(),
        ResponseCode::NotImp
    );

    // A response sent as a question: never answered (no loops).
    let mut response = query(ZONE, RecordType::SOA, None);
    response.set_message_type(hickory_proto::op::MessageType::Response);
    assert_eq!(udp_bytes(dns, &response.to_vec().unwrap()).await, None);

    still_answers(dns).await;
}

#[tokio::test]
async fn tcp_answers_several_queries_per_connection_and_closes_on_a_broken_frame() {
    let app = spawn_app_configured(serve_zone).await;
    let dns = addr(&app);

    let mut stream = TcpStream::connect(dns).await.unwrap();
    for qtype in [RecordType::SOA, RecordType::NS, RecordType::SOA] {
        let q = query(ZONE, qtype, None);
        write_frame(&mut stream, &q.to_vec().unwrap()).await;
        let answer = Message::from_vec(&read_frame(&mut stream).await.unwrap()).unwrap();
        assert_eq!(answer.id(), q.id());
        assert_eq!(answer.answers()[0].record_type(), qtype);
    }

    // A frame announcing 100 bytes, then 10 and the end of the stream:
    // the connection is closed without an answer.
    let mut truncated = TcpStream::connect(dns).await.unwrap();
    truncated.write_all(&[0, 100]).await.unwrap();
    truncated.write_all(&[0u8; 10]).await.unwrap();
    truncated.shutdown().await.unwrap();
    assert_eq!(read_frame(&mut truncated).await, None);

    // Garbage in a whole frame: FORMERR if the header parses, and the
    // connection goes on.
    let mut garbage = TcpStream::connect(dns).await.unwrap();
    write_frame(
        &mut garbage,
        &[0x11, 0x22, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff],
    )
    .await;
    let answer = Message::from_vec(&read_frame(&mut garbage).await.unwrap()).unwrap();
    assert_eq!(answer.response_code(), ResponseCode::FormErr);
    let q = query(ZONE, RecordType::SOA, None);
    write_frame(&mut garbage, &q.to_vec().unwrap()).await;
    assert!(read_frame(&mut garbage).await.is_some());

    // Many idle connections do not stop new ones from being served.
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(dns).await.unwrap());
    }
    still_answers(dns).await;
}
