//! What the zone answers: served keys' TXT records, SOA and NS at the
//! apex, NODATA at existing names (empty non-terminals included),
//! NXDOMAIN for unknown names in the zone, REFUSED outside it, NOTIMP for
//! ANY, and truncation over UDP for what does not fit.

use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use signet_tests::{eventually, spawn_app_configured};

use super::{addr, create_key, delegate, query, serve_zone, served, tcp, txt_values, udp, ZONE};

#[tokio::test]
async fn a_delegated_key_is_served_and_the_zone_answers_every_kind_of_name() {
    let app = spawn_app_configured(serve_zone).await;
    let dns = addr(&app);
    let (label, _) = delegate(&app, "example.com").await;
    let value = create_key(&app, "example.com", "big", 2048).await;
    let name = served(&label, "big");

    let answer = eventually(Duration::from_secs(5), "the new key is served", || async {
        let answer = udp(dns, &query(&name, RecordType::TXT, Some(1232))).await;
        (!answer.answers().is_empty()).then_some(answer)
    })
    .await;
    assert_eq!(answer.response_code(), ResponseCode::NoError);
    assert!(answer.authoritative());
    assert_eq!(txt_values(&answer), std::slice::from_ref(&value));
    let strings = answer.answers()[0]
        .data()
        .as_txt()
        .unwrap()
        .txt_data()
        .len();
    assert!(strings > 1, "a 2048-bit record is in several strings");
    assert_eq!(answer.answers()[0].ttl(), 300);

    // Names ask without case.
    let upper = udp(dns, &query(&name.to_uppercase(), RecordType::TXT, None)).await;
    assert_eq!(txt_values(&upper), [value]);

    // NODATA at the served name for another type, with the SOA.
    let nodata = udp(dns, &query(&name, RecordType::A, None)).await;
    assert_eq!(nodata.response_code(), ResponseCode::NoError);
    assert!(nodata.answers().is_empty());
    assert_eq!(nodata.name_servers()[0].record_type(), RecordType::SOA);

    // Empty non-terminals, which qname minimisation asks: NODATA.
    for ent in [
        format!("_domainkey.{label}.{ZONE}"),
        format!("{label}.{ZONE}"),
    ] {
        let answer = udp(dns, &query(&ent, RecordType::TXT, None)).await;
        assert_eq!(answer.response_code(), ResponseCode::NoError, "{ent}");
        assert!(answer.answers().is_empty(), "{ent}");
        assert_eq!(answer.name_servers()[0].record_type(), RecordType::SOA);
    }

    // Unknown names in the zone: NXDOMAIN with the SOA.
    for unknown in [served(&label, "other"), format!("nothing.{ZONE}")] {
        let answer = udp(dns, &query(&unknown, RecordType::TXT, None)).await;
        assert_eq!(answer.response_code(), ResponseCode::NXDomain, "{unknown}");
        assert!(answer.authoritative());
        assert_eq!(answer.name_servers()[0].record_type(), RecordType::SOA);
    }

    // Outside the zone: REFUSED, not authoritative.
    let outside = udp(
        dns,
        &query("pdk1._domainkey.example.com", RecordType::TXT, None),
    )
    .await;
    assert_eq!(outside.response_code(), ResponseCode::Refused);
    assert!(!outside.authoritative());

    // ANY: NOTIMP.
    let any = udp(dns, &query(&name, RecordType::ANY, None)).await;
    assert_eq!(any.response_code(), ResponseCode::NotImp);
}

#[tokio::test]
async fn the_apex_has_soa_and_ns_and_the_serial_grows_with_every_change() {
    let app = spawn_app_configured(serve_zone).await;
    let dns = addr(&app);
    let soa = |answer: &hickory_proto::op::Message| {
        answer.answers()[0]
            .data()
            .as_soa()
            .expect("an SOA")
            .serial()
    };
    let first = udp(dns, &query(ZONE, RecordType::SOA, None)).await;
    assert!(first.authoritative());
    let serial = soa(&first);
    let ns = udp(dns, &query(ZONE, RecordType::NS, None)).await;
    let names: Vec<String> = ns
        .answers()
        .iter()
        .map(|r| r.data().as_ns().unwrap().0.to_ascii())
        .collect();
    assert_eq!(names, [format!("ns1.{ZONE}.")]);

    let (label, _) = delegate(&app, "example.com").await;
    let name = served(&label, "pdk1");
    eventually(Duration::from_secs(5), "the new key is served", || async {
        let answer = udp(dns, &query(&name, RecordType::TXT, None)).await;
        (!answer.answers().is_empty()).then_some(())
    })
    .await;
    let later = udp(dns, &query(ZONE, RecordType::SOA, None)).await;
    assert!(soa(&later) > serial, "{} after {serial}", soa(&later));
}

#[tokio::test]
async fn a_4096_bit_record_is_truncated_over_udp_without_edns_and_whole_over_tcp() {
    let app = spawn_app_configured(serve_zone).await;
    let dns = addr(&app);
    let (label, _) = delegate(&app, "example.com").await;
    let value = create_key(&app, "example.com", "huge", 4096).await;
    let name = served(&label, "huge");
    eventually(Duration::from_secs(5), "the new key is served", || async {
        let answer = tcp(dns, &query(&name, RecordType::TXT, None)).await;
        (!answer.answers().is_empty()).then_some(())
    })
    .await;

    let small = udp(dns, &query(&name, RecordType::TXT, None)).await;
    assert!(small.truncated(), "over 512 bytes without EDNS");
    assert!(small.answers().is_empty());
    assert_eq!(small.queries().len(), 1);

    let edns = udp(dns, &query(&name, RecordType::TXT, Some(4096))).await;
    assert!(!edns.truncated(), "fits the 1232 bytes EDNS allows");
    assert_eq!(txt_values(&edns), std::slice::from_ref(&value));
    assert_eq!(edns.extensions().as_ref().unwrap().max_payload(), 1232);

    let whole = tcp(dns, &query(&name, RecordType::TXT, None)).await;
    assert!(!whole.truncated());
    assert_eq!(txt_values(&whole), [value]);
}
