//! The whole path of a delegated domain through real DNS software: the
//! tenant's zone on a Knot primary holds only the CNAMEs Mailgun's
//! `sending_dns_records` asked for; Unbound, the resolver Signet asks,
//! follows them into Signet's own zone. The domain verifies, dkimpy
//! verifies signatures made with exported keys through the same resolver,
//! and a rotation completes with nothing done to the tenant's zone.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use signet_api::Application;
use signet_testkit::dns_query::soa_serial;
use signet_testkit::{free_dns_port, Knot, Unbound, ZoneFile};
use signet_tests::dialect::greenarrow::id_of;
use signet_tests::dkimpy::{dkimpy_python, repo};
use signet_tests::{eventually, skip, spawn_app_with, AppOptions, TestApp};

use super::{serve_zone, ZONE};

/// The tenant's domain, in a zone of its own on a Knot primary.
const DOMAIN: &str = "example.test";

/// Bound on anything that waits for the re-check through the resolver.
const SEEN: Duration = Duration::from_secs(20);

/// The domain's `sending_dns_records` after a verify.
async fn verify(app: &TestApp) -> Vec<Value> {
    let response = app
        .request(Method::PUT, &format!("/v4/domains/{DOMAIN}/verify"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    body["domain"]["sending_dns_records"]
        .as_array()
        .or_else(|| body["sending_dns_records"].as_array())
        .expect("sending_dns_records")
        .clone()
}

/// Each key of the authority's rotation, by selector, with its stage.
async fn stages(app: &TestApp) -> Vec<(String, String)> {
    let body: Value = app
        .get(&format!("/v1/dkim_management/domains/{DOMAIN}/rotation"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["domain"]["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| {
            let text = |f: &str| k[f].as_str().unwrap_or_default().to_owned();
            (text("selector"), text("stage"))
        })
        .collect()
}

/// The exported private key of `selector`, through GreenArrow.
async fn exported(app: &TestApp, selector: &str) -> Value {
    let ga = app.greenarrow();
    let listed = ga.list(&format!("domain={DOMAIN}")).await.ok();
    let item = listed["dkim_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["selector"] == selector)
        .unwrap_or_else(|| panic!("{selector} is listed: {listed}"))
        .clone();
    let key = ga.get(id_of(&item)).await.ok()["dkim_key"].take();
    json!({ "domain": DOMAIN, "selector": selector, "pem": key["key"]["private"] })
}

/// dkimpy signs with `keys` and verifies through `resolver`.
async fn dkimpy_verifies(python: &PathBuf, resolver: SocketAddr, keys: Vec<Value>) {
    let count = keys.len();
    let output = tokio::process::Command::new(python)
        .arg(repo().join("tests/sdk/dkim_delegated_test.py"))
        .env("SIGNET_RESOLVER", resolver.to_string())
        .env("SIGNET_KEYS", Value::Array(keys).to_string())
        .kill_on_drop(true)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains(&format!("{} passed, 0 failed", 2 * count)),
        "dkimpy's checks failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegated_domain_verifies_signs_and_rotates_through_real_dns_with_its_zone_untouched() {
    if !Knot::available() || !Unbound::available() {
        return skip("Knot DNS or Unbound is missing");
    }
    let Some(python) = dkimpy_python().await else {
        return;
    };
    // Where Signet's zone and the tenant's will answer, known beforehand so
    // the resolver can start first.
    let signet: SocketAddr = ([127, 0, 0, 1], free_dns_port()).into();
    let tenant_port = free_dns_port();
    let tenant: SocketAddr = ([127, 0, 0, 1], tenant_port).into();
    let unbound = Unbound::start(&[(ZONE, signet), (DOMAIN, tenant)]).await;
    let app = spawn_app_with(AppOptions {
        private_key_export: true,
        configure: Some(serve_zone),
        dns_servers: Some(vec![unbound.addr()]),
        ..AppOptions::default()
    })
    .await;
    // A second node on the same database answers at the address the
    // resolver knows and runs the re-check every second: what the first
    // node writes reaches its zone within its bound.
    let mut settings = app.settings.clone();
    settings.dns_zone.listen = Some(signet);
    settings.dns_recheck.interval = Duration::from_secs(1);
    settings.dns_cache_ttl = Duration::ZERO;
    let node = Application::build(settings).await.expect("the node builds");
    tokio::spawn(node.run_until_stopped());

    // The tenant registers with Automatic Sender Security and publishes
    // exactly the CNAMEs it is given, beside an SPF record of its own.
    let response = app
        .post("/v4/domains")
        .form(&[("name", DOMAIN), ("use_automatic_sender_security", "true")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    let records = body["sending_dns_records"].as_array().unwrap().clone();
    let mut zone = ZoneFile::new(DOMAIN).txt("@", "v=spf1 -all");
    for record in &records {
        assert_eq!(record["record_type"], "CNAME", "{record}");
        let (name, value) = (
            record["name"].as_str().unwrap(),
            record["value"].as_str().unwrap(),
        );
        zone = zone.record(&format!("{name}. 300 IN CNAME {value}."));
    }
    assert_eq!(records.len(), 2, "pdk1 and pdk2: {records:?}");
    let knot = Knot::primary_on(tenant_port, &zone, None).await;
    let serial = soa_serial(knot.addr(), &format!("{DOMAIN}.")).await;
    assert!(serial.is_some(), "the tenant's zone is served");

    // Through the resolver, the CNAME reaches Signet's TXT: pdk1 is valid.
    eventually(SEEN, "pdk1 verifies through the CNAME", || async {
        let records = verify(&app).await;
        let pdk1 = records
            .iter()
            .find(|r| r["name"] == format!("pdk1._domainkey.{DOMAIN}"))?;
        (pdk1["valid"] == "valid").then_some(())
    })
    .await;
    dkimpy_verifies(&python, unbound.addr(), vec![exported(&app, "pdk1").await]).await;

    // A rotation: the new key takes pdk2, Signet serves it at once, the
    // re-check sees it through the resolver and promotes it; pdk1 retires.
    let rotated = app
        .post(&format!("/v1/dkim_management/domains/{DOMAIN}/rotate"))
        .send()
        .await
        .unwrap();
    assert!(rotated.status().is_success(), "{}", rotated.status());
    eventually(SEEN, "pdk2 becomes active, pdk1 retiring", || async {
        let stages = stages(&app).await;
        let has = |s: &str, st: &str| stages.iter().any(|(a, b)| a == s && b == st);
        (has("pdk2", "active") && has("pdk1", "retiring")).then_some(())
    })
    .await;
    dkimpy_verifies(
        &python,
        unbound.addr(),
        vec![exported(&app, "pdk2").await, exported(&app, "pdk1").await],
    )
    .await;

    // Nothing was asked of the tenant's zone.
    assert_eq!(soa_serial(knot.addr(), &format!("{DOMAIN}.")).await, serial);
}
