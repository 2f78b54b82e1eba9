//! Ed25519 signatures checked by an independent verifier: dkimpy with PyNaCl
//! signs with keys exported from Signet and verifies against Signet's records
//! (served by the loopback DNS server, and as given over HTTP), including the
//! RFC 8463 Appendix A message. Runs `tests/sdk/dkim_ed25519_test.py` in the
//! `.venv-sdk` that `.ci/run` creates.

use reqwest::Method;
use serde_json::{json, Value};
use signet_tests::dialect::greenarrow::id_of;
use signet_tests::dialect::mailgun::{items, Via};
use signet_tests::dkimpy::{dkimpy_python, repo};
use signet_tests::spawn_app_exporting_keys;

use super::ed25519::RFC_SEED;

const DOMAIN: &str = "football.example.com";

#[tokio::test]
async fn dkimpy_verifies_signatures_of_exported_ed25519_keys_against_signets_records() {
    let Some(python) = dkimpy_python().await else {
        return;
    };
    let app = spawn_app_exporting_keys().await;
    let (mg, ga) = (app.mailgun(), app.greenarrow());
    // The RFC's key imported through Mailgun, and one key made by each dialect.
    mg.import_key(DOMAIN, "brisbane", RFC_SEED)
        .await
        .expect(200);
    let made = [
        ("signing_domain", DOMAIN),
        ("selector", "mg"),
        ("algorithm", "ed25519"),
    ];
    mg.call(Method::POST, "/v1/dkim/keys", Via::UrlEncoded, &made)
        .await
        .expect(200);
    ga.create_ok(json!({ "domain": DOMAIN, "selector": "ga", "key": { "algorithm": "ed25519" } }))
        .await;

    // Each record published as Signet splits it; each private key as exported.
    let mut keys = Vec::new();
    for item in ga.list(&format!("domain={DOMAIN}")).await.ok()["dkim_keys"]
        .as_array()
        .unwrap()
    {
        let record = ga.get(id_of(item)).await.ok()["dkim_key"].take();
        let dns = &record["dns"]["public_key"];
        let strings: Vec<String> = serde_json::from_value(dns["strings"].clone()).unwrap();
        app.dns
            .set_txt(dns["name"].as_str().unwrap(), vec![strings]);
        keys.push(json!({
            "domain": DOMAIN,
            "selector": record["selector"],
            "pem": record["key"]["private"],
            "value": dns["value"],
        }));
    }
    assert_eq!(keys.len(), 3);

    // Signet itself finds the Ed25519 records valid: the keys activate.
    for selector in ["brisbane", "mg", "ga"] {
        mg.key_action(DOMAIN, selector, "activate")
            .await
            .expect(200);
    }
    let page = mg
        .list_keys(&[("signing_domain", DOMAIN)])
        .await
        .expect(200);
    assert!(
        items(&page)
            .iter()
            .all(|k| k["dns_record"]["valid"] == "valid"),
        "{page}"
    );

    let output = tokio::process::Command::new(&python)
        .arg(repo().join("tests/sdk/dkim_ed25519_test.py"))
        .env("SIGNET_DNS", app.dns.addr().to_string())
        .env("SIGNET_KEYS", Value::Array(keys).to_string())
        .kill_on_drop(true)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "dkimpy's checks failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("16 passed, 0 failed"), "{stdout}\n{stderr}");
    println!("{stdout}");
}
