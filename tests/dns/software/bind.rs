//! BIND 9 as a tenant's primary (RFC 2136 UPDATEs with TSIG) and as a
//! secondary (transfers with TSIG after a NOTIFY).

use signet_testkit::dns_query::{soa_serial, txt};
use signet_testkit::dns_tools::notify;
use signet_testkit::zone_file::quoted_strings;
use signet_testkit::{Bind, TsigKey, ZoneFile};

use super::{serves_serial, ZONE};

const SPF: &str = "v=spf1 -all";
const NAME: &str = "s1._domainkey.example.test.";

fn zone() -> ZoneFile {
    ZoneFile::new(ZONE).txt("s1._domainkey", SPF)
}

#[tokio::test]
async fn a_bind_primary_takes_a_signed_update_beside_the_records_it_had() {
    if !Bind::available() {
        return signet_testkit::skip("named, nsupdate or dig is missing");
    }
    let key = TsigKey::generate("tenant-update");
    let bind = Bind::primary(&zone(), &key).await;
    assert_eq!(txt(bind.addr(), NAME).await, vec![SPF.to_owned()]);

    let long = format!("v=DKIM1; k=rsa; p={}", "A".repeat(400));
    let add = format!("update add {NAME} 300 TXT {}", quoted_strings(&long));
    bind.update(ZONE, Some(&key), &[&add])
        .await
        .unwrap_or_else(|e| panic!("a signed update is taken: {e}\n{}", bind.log()));

    let mut expected = vec![long, SPF.to_owned()];
    expected.sort();
    assert_eq!(txt(bind.addr(), NAME).await, expected);
    assert_eq!(
        soa_serial(bind.addr(), ZONE).await,
        Some(2),
        "an update bumps the serial"
    );
}

#[tokio::test]
async fn a_bind_primary_refuses_an_unsigned_update_and_one_signed_with_another_secret() {
    if !Bind::available() {
        return signet_testkit::skip("named, nsupdate or dig is missing");
    }
    let key = TsigKey::generate("tenant-update");
    let bind = Bind::primary(&zone(), &key).await;
    let add = format!("update add {NAME} 300 TXT \"v=DKIM1; p=intruder\"");

    let unsigned = bind.update(ZONE, None, &[&add]).await;
    let forged = TsigKey::generate("tenant-update");
    let wrong_secret = bind.update(ZONE, Some(&forged), &[&add]).await;

    let unsigned = unsigned.expect_err("an unsigned update is refused");
    assert!(unsigned.contains("REFUSED"), "{unsigned}");
    let wrong_secret = wrong_secret.expect_err("a wrongly signed update is refused");
    assert!(
        wrong_secret.contains("NOTAUTH") || wrong_secret.contains("BADSIG"),
        "{wrong_secret}"
    );
    assert_eq!(txt(bind.addr(), NAME).await, vec![SPF.to_owned()]);
    assert_eq!(soa_serial(bind.addr(), ZONE).await, Some(1));
}

#[tokio::test]
async fn a_bind_secondary_transfers_with_tsig_on_start_and_again_after_a_notify() {
    if !Bind::available() {
        return signet_testkit::skip("named, nsupdate or dig is missing");
    }
    let key = TsigKey::generate("transfer");
    let primary = Bind::primary(&zone(), &key).await;
    let secondary = Bind::secondary(ZONE, primary.addr(), &key).await;
    serves_serial(secondary.addr(), ZONE, 1).await;
    assert_eq!(txt(secondary.addr(), NAME).await, vec![SPF.to_owned()]);

    let add = "update add new.example.test. 300 TXT \"after the notify\"";
    primary
        .update(ZONE, Some(&key), &[add])
        .await
        .expect("a signed update is taken");
    // The primary sends no NOTIFY of its own and the zone's refresh is an
    // hour: only this NOTIFY can bring serial 2 within the deadline.
    assert_eq!(notify(secondary.addr(), ZONE, Some(&key)).await, "NOERROR");

    serves_serial(secondary.addr(), ZONE, 2).await;
    assert_eq!(
        txt(secondary.addr(), "new.example.test.").await,
        vec!["after the notify".to_owned()]
    );
}
