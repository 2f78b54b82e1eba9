//! Unbound as the resolver: a tenant's CNAME in one stub zone (Knot)
//! followed into a TXT in another (BIND), and a change seen within seconds.

use std::time::Duration;

use signet_testkit::dns_query::{ask, RecordType, ResponseCode};
use signet_testkit::{eventually, Bind, Knot, TsigKey, Unbound, ZoneFile};

const TENANT: &str = "example.test.";
const SIGNET: &str = "dkim.signet.test.";
const TARGET: &str = "s1._domainkey.t1.dkim.signet.test.";

#[tokio::test]
async fn unbound_follows_a_cname_from_one_stub_zone_into_a_txt_in_another_and_sees_it_change() {
    if !Unbound::available() || !Knot::available() || !Bind::available() {
        return signet_testkit::skip("unbound, Knot DNS or BIND is missing");
    }
    let tenant = ZoneFile::new(TENANT).record(&format!("s1._domainkey 300 IN CNAME {TARGET}"));
    let tenant = Knot::primary(&tenant, None).await;
    let key = TsigKey::generate("signet");
    let signet = ZoneFile::new(SIGNET).txt("s1._domainkey.t1", "v=DKIM1; p=first");
    let signet = Bind::primary(&signet, &key).await;
    let unbound = Unbound::start(&[(TENANT, tenant.addr()), (SIGNET, signet.addr())]).await;

    let answer = ask(
        unbound.addr(),
        "s1._domainkey.example.test.",
        RecordType::TXT,
    )
    .await
    .expect("unbound answers");
    assert_eq!(answer.code, ResponseCode::NoError, "{}", unbound.log());
    assert_eq!(answer.cnames(), vec![TARGET.to_owned()]);
    assert_eq!(answer.txt(), vec!["v=DKIM1; p=first".to_owned()]);

    // The records' TTL is 300 s; Unbound keeps them at most a second.
    let change = format!("update delete {TARGET} TXT");
    let add = format!("update add {TARGET} 300 TXT \"v=DKIM1; p=second\"");
    signet
        .update(SIGNET, Some(&key), &[&change, &add])
        .await
        .expect("a signed update");
    eventually(
        Duration::from_secs(10),
        "unbound sees the new TXT",
        || async {
            let answer = ask(
                unbound.addr(),
                "s1._domainkey.example.test.",
                RecordType::TXT,
            )
            .await;
            answer
                .is_ok_and(|a| a.txt() == ["v=DKIM1; p=second"])
                .then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn unbound_refuses_names_outside_its_stub_zones() {
    if !Unbound::available() || !Knot::available() {
        return signet_testkit::skip("unbound or Knot DNS is missing");
    }
    let tenant = Knot::primary(&ZoneFile::new(TENANT).txt("@", "v=spf1 -all"), None).await;
    let unbound = Unbound::start(&[(TENANT, tenant.addr())]).await;

    let inside = ask(unbound.addr(), TENANT, RecordType::TXT)
        .await
        .expect("an answer");
    let outside = ask(unbound.addr(), "example.com.", RecordType::TXT)
        .await
        .expect("an answer");

    assert_eq!(inside.txt(), vec!["v=spf1 -all".to_owned()]);
    assert_eq!(
        outside.code,
        ResponseCode::Refused,
        "it never asks the root"
    );
}
