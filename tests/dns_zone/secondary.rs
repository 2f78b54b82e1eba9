//! Real secondaries of Signet's zone: Knot DNS and BIND 9 transfer it
//! with TSIG after Signet's signed NOTIFY, and a new key reaches them
//! within 10 s with nothing else asking them to look.

use std::net::SocketAddr;
use std::time::Duration;

use signet_api::Application;
use signet_testkit::dns_query::{ask, soa_serial, RecordType};
use signet_testkit::{free_dns_port, Bind, Knot, TsigKey};
use signet_tests::{eventually, skip, spawn_app_configured};

use super::{delegate, serve_zone, served, ZONE};

/// How soon a secondary must have a change.
const SECONDARY_BOUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knot_and_bind_secondaries_transfer_the_zone_and_get_a_new_key_after_a_notify() {
    if !Knot::available() || !Bind::available() {
        return skip("Knot DNS or BIND is missing");
    }
    let key = TsigKey::generate("xfr");
    // The secondaries first, told where Signet will answer; Signet then
    // notifies them, and BIND transfers only once notified.
    let primary: SocketAddr = ([127, 0, 0, 1], free_dns_port()).into();
    let knot = Knot::secondary(ZONE, primary, &key).await;
    let bind = Bind::secondary(ZONE, primary, &key).await;
    let app = spawn_app_configured(serve_zone).await;
    let mut settings = app.settings.clone();
    settings.dns_zone.listen = Some(primary);
    settings.dns_zone.tsig_key = Some(signet_domain::tsig::TsigKey::parse(&key.spec()).unwrap());
    settings.dns_zone.notify = vec![knot.addr(), bind.addr()];
    let node = Application::build(settings).await.expect("the node builds");
    tokio::spawn(node.run_until_stopped());

    let zone = format!("{ZONE}.");
    for secondary in [knot.addr(), bind.addr()] {
        eventually(SECONDARY_BOUND, "the secondary has the zone", || async {
            soa_serial(secondary, &zone).await
        })
        .await;
    }

    let (label, value) = delegate(&app, "example.com").await;
    let name = format!("{}.", served(&label, "pdk1"));
    for (secondary, which) in [(knot.addr(), "Knot"), (bind.addr(), "BIND")] {
        let what = format!("{which} serves the new key");
        eventually(SECONDARY_BOUND, &what, || async {
            let answer = ask(secondary, &name, RecordType::TXT).await.ok()?;
            (answer.txt() == [value.clone()]).then_some(())
        })
        .await;
    }
}
