//! Each domain's DNS mode in the console, and the records to publish: TXT
//! for a domain whose tenant publishes its keys' records, CNAMEs into
//! Signet's zone for one with Automatic Sender Security. GreenArrow shows
//! the delegated domain's key as it shows any other.

use reqwest::Method;
use serde_json::json;
use signet_domain::DomainName;

use super::{json_of, spawn_console_configured};

fn with_zone(settings: &mut signet_api::Settings) {
    settings.dns_zone.zone = Some(DomainName::parse("dkim.signet.test").unwrap());
}

#[tokio::test]
async fn domains_show_their_dns_mode_and_the_records_to_publish() {
    let console = spawn_console_configured(with_zone).await;
    for form in [
        vec![
            ("name", "delegated.test"),
            ("use_automatic_sender_security", "true"),
        ],
        vec![("name", "txt.test")],
    ] {
        let mut form = form;
        form.push(("dkim_key_size", "1024"));
        let registered = console.app.post("/v4/domains").form(&form).send().await;
        assert!(registered.unwrap().status().is_success());
    }
    let request = console.call(Method::GET, "/console/v1/domains", &console.token("viewer"));
    let (status, domains) = json_of(request.send().await.unwrap()).await;
    assert_eq!(status, 200, "{domains}");
    let (delegated, txt) = (&domains["items"][0], &domains["items"][1]);

    assert_eq!(delegated["name"], "delegated.test");
    assert_eq!(delegated["dns_mode"], "delegated");
    assert_eq!(delegated["selector"], "pdk1");
    let records = delegated["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    let target = records[0]["value"].as_str().unwrap();
    let label = target
        .strip_prefix("pdk1._domainkey.")
        .and_then(|t| t.strip_suffix(".dkim.signet.test"))
        .unwrap_or_else(|| panic!("{target}"));
    assert_eq!(
        records[1],
        json!({
            "name": "pdk2._domainkey.delegated.test",
            "type": "CNAME",
            "value": format!("pdk2._domainkey.{label}.dkim.signet.test"),
            "status": "unknown",
        })
    );
    assert_eq!(records[0]["name"], "pdk1._domainkey.delegated.test");

    assert_eq!(txt["dns_mode"], "txt");
    let records = txt["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["type"], "TXT");
    assert_eq!(records[0]["name"], "mx._domainkey.txt.test");
    assert_eq!(records[0]["value"], txt["dns"]["value"]);

    // GreenArrow sees the delegated domain's key as any other: its TXT
    // record at the tenant's own name.
    let keys = console.app.greenarrow().list("").await.ok();
    let pdk1 = keys["dkim_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["domain"] == "delegated.test")
        .expect("the delegated domain's key");
    assert_eq!(pdk1["selector"], "pdk1");
    let id = pdk1["id"].as_i64().unwrap();
    let full = console.app.greenarrow().get(id).await.ok();
    let record = &full["dkim_key"]["dns"]["public_key"];
    assert_eq!(record["name"], "pdk1._domainkey.delegated.test", "{full}");
    assert_eq!(record["type"], "TXT", "{full}");
}
