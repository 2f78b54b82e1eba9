//! Knot DNS as a primary serving a zone file, and BIND 9 and Knot DNS as
//! its secondaries, transferring with TSIG after a signed NOTIFY.

use std::net::{Ipv4Addr, SocketAddr};

use signet_testkit::dns_query::{soa_serial, txt};
use signet_testkit::dns_tools::notify;
use signet_testkit::{free_dns_port, Bind, Knot, TsigKey, ZoneFile};

use super::{serves_serial, ZONE};

/// A record too long for one character-string.
fn long_record() -> String {
    format!("v=DKIM1; k=rsa; p={}", "B".repeat(392))
}

fn zone() -> ZoneFile {
    ZoneFile::new(ZONE)
        .txt("s1._domainkey", &long_record())
        .txt("@", "v=spf1 -all")
}

#[tokio::test]
async fn a_knot_primary_serves_the_txt_records_of_its_zone_file() {
    if !Knot::available() {
        return signet_testkit::skip("knotd or knotc is missing");
    }
    let knot = Knot::primary(&zone(), None).await;

    assert_eq!(
        txt(knot.addr(), "s1._domainkey.example.test.").await,
        vec![long_record()]
    );
    assert_eq!(txt(knot.addr(), ZONE).await, vec!["v=spf1 -all".to_owned()]);
    assert_eq!(
        txt(knot.addr(), "nothing.example.test.").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn bind_and_knot_secondaries_transfer_from_a_knot_primary_with_tsig_after_a_notify() {
    if !Knot::available() || !Bind::available() {
        return signet_testkit::skip("Knot DNS or BIND is missing");
    }
    let key = TsigKey::generate("transfer");
    let primary = Knot::primary(&zone(), Some(&key)).await;
    let bind = Bind::secondary(ZONE, primary.addr(), &key).await;
    let knot = Knot::secondary(ZONE, primary.addr(), &key).await;
    for secondary in [bind.addr(), knot.addr()] {
        serves_serial(secondary, ZONE, 1).await;
        assert_eq!(
            txt(secondary, "s1._domainkey.example.test.").await,
            vec![long_record()]
        );
    }

    let changed = zone()
        .with_serial(2)
        .txt("s2._domainkey", "v=DKIM1; p=second");
    primary.replace_zone(&changed).await;
    // The primary sends no NOTIFY and the zone's refresh is an hour: only
    // these NOTIFYs can bring serial 2 within the deadline.
    for secondary in [bind.addr(), knot.addr()] {
        assert_eq!(notify(secondary, ZONE, Some(&key)).await, "NOERROR");
    }

    for secondary in [bind.addr(), knot.addr()] {
        serves_serial(secondary, ZONE, 2).await;
        assert_eq!(
            txt(secondary, "s2._domainkey.example.test.").await,
            vec!["v=DKIM1; p=second".to_owned()]
        );
    }
}

#[tokio::test]
async fn a_knot_secondary_refuses_a_notify_unsigned_or_signed_with_another_secret() {
    if !Knot::available() {
        return signet_testkit::skip("knotd or knotc is missing");
    }
    let key = TsigKey::generate("transfer");
    let primary = Knot::primary(&zone(), Some(&key)).await;
    let secondary = Knot::secondary(ZONE, primary.addr(), &key).await;
    serves_serial(secondary.addr(), ZONE, 1).await;

    let unsigned = notify(secondary.addr(), ZONE, None).await;
    let forged = notify(secondary.addr(), ZONE, Some(&TsigKey::generate("transfer"))).await;

    assert_ne!(unsigned, "NOERROR");
    assert_ne!(forged, "NOERROR");
    assert_eq!(notify(secondary.addr(), ZONE, Some(&key)).await, "NOERROR");
}

#[tokio::test]
async fn secondaries_started_before_their_primary_get_the_zone_once_it_is_up_and_notifies() {
    if !Knot::available() || !Bind::available() {
        return signet_testkit::skip("Knot DNS or BIND is missing");
    }
    let key = TsigKey::generate("transfer");
    // Signet's DNS tests start this way: the secondaries first, pointed at
    // the port the primary will have, so the primary can be told theirs.
    let port = free_dns_port();
    let primary_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let bind = Bind::secondary(ZONE, primary_addr, &key).await;
    let knot = Knot::secondary(ZONE, primary_addr, &key).await;
    assert_eq!(
        soa_serial(bind.addr(), ZONE).await,
        None,
        "nothing to transfer yet"
    );

    let _primary = Knot::primary_on(port, &zone(), Some(&key)).await;
    for secondary in [bind.addr(), knot.addr()] {
        assert_eq!(notify(secondary, ZONE, Some(&key)).await, "NOERROR");
    }

    for secondary in [bind.addr(), knot.addr()] {
        serves_serial(secondary, ZONE, 1).await;
    }
}

#[tokio::test]
async fn a_knot_primary_takes_a_signed_update_and_refuses_an_unsigned_one() {
    if !Knot::available() || !Bind::available() {
        return signet_testkit::skip("Knot DNS or nsupdate is missing");
    }
    let key = TsigKey::generate("tenant-update");
    let knot = Knot::primary(&zone(), Some(&key)).await;
    let add = "update add s2._domainkey.example.test. 300 TXT \"v=DKIM1; p=new\"";

    let unsigned = knot.update(ZONE, None, &[add]).await;
    let signed = knot.update(ZONE, Some(&key), &[add]).await;

    let unsigned = unsigned.expect_err("an unsigned update is refused");
    assert!(
        unsigned.contains("REFUSED") || unsigned.contains("NOTAUTH"),
        "{unsigned}"
    );
    signed.unwrap_or_else(|e| panic!("a signed update is taken: {e}\n{}", knot.log()));
    assert_eq!(
        txt(knot.addr(), "s2._domainkey.example.test.").await,
        vec!["v=DKIM1; p=new".to_owned()]
    );
    assert_eq!(soa_serial(knot.addr(), ZONE).await, Some(2));
}
