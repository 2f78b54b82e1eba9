//! Response-rate limiting: over the rate a source network's answers are
//! dropped, every second one slipped (empty, TC set), and the counters
//! show in `/metrics`. TCP is exempt.

use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use signet_api::Settings;
use signet_tests::{eventually, spawn_app_configured};
use tokio::net::UdpSocket;

use super::{addr, query, serve_zone, tcp, ZONE};

/// Five answers a second, every second one over it slipped.
fn slow_zone(settings: &mut Settings) {
    serve_zone(settings);
    settings.dns_zone.rrl_rate = 5;
    settings.dns_zone.rrl_slip = 2;
}

/// The value of the unlabelled counter `name` in `/metrics`, 0 if absent.
fn counter(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_burst_is_answered_up_to_the_rate_then_dropped_and_slipped() {
    let app = spawn_app_configured(slow_zone).await;
    let dns = addr(&app);
    let before = app.public_text("/metrics").await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    const SENT: usize = 60;
    for _ in 0..SENT {
        let q = query(ZONE, RecordType::SOA, None).to_vec().unwrap();
        socket.send_to(&q, dns).await.unwrap();
    }
    // Every datagram has been judged once the counters add up to a
    // verdict for most of them (the rate refills a few meanwhile).
    let after = eventually(Duration::from_secs(5), "the burst is judged", || async {
        let now = app.public_text("/metrics").await;
        let limited = counter(&now, "signet_dns_rrl_dropped_total")
            + counter(&now, "signet_dns_rrl_slipped_total")
            - counter(&before, "signet_dns_rrl_dropped_total")
            - counter(&before, "signet_dns_rrl_slipped_total");
        (limited >= 40.0).then_some(now)
    })
    .await;
    let dropped = counter(&after, "signet_dns_rrl_dropped_total")
        - counter(&before, "signet_dns_rrl_dropped_total");
    let slipped = counter(&after, "signet_dns_rrl_slipped_total")
        - counter(&before, "signet_dns_rrl_slipped_total");
    assert!(
        dropped >= 20.0 && slipped >= 20.0,
        "{dropped} dropped, {slipped} slipped"
    );

    // What came back: a few whole answers, the slipped ones empty with TC.
    let (mut whole, mut truncated) = (0, 0);
    let mut buf = [0u8; 4096];
    while let Ok(len) = socket.try_recv(&mut buf) {
        let answer = Message::from_vec(&buf[..len]).unwrap();
        assert_eq!(answer.response_code(), ResponseCode::NoError);
        if answer.truncated() {
            assert!(answer.answers().is_empty());
            truncated += 1;
        } else {
            whole += 1;
        }
    }
    assert!(whole >= 5, "{whole} whole answers");
    assert!(truncated >= 1, "{truncated} slipped answers");
    assert!(whole + truncated < SENT, "some were dropped");

    // TCP is not limited.
    for _ in 0..10 {
        let answer = tcp(dns, &query(ZONE, RecordType::SOA, None)).await;
        assert_eq!(answer.answers().len(), 1);
    }
}
