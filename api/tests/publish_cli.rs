//! `signet domain publish-to` end to end: the CLI sets a publisher in the
//! SQLite file, and a running `signet serve` writes the domain's record
//! into BIND with it; `--off` stops it. The secret is never printed.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use signet_testkit::dns_query::txt;
use signet_testkit::signet_process::{self, SignetServer};
use signet_testkit::{eventually, Bind, TsigKey, ZoneFile};
use tempfile::TempDir;
use tokio::process::Command;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");
const NAME: &str = "mx._domainkey.example.test.";

fn signet(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = signet_process::signet(SIGNET, args);
    command.current_dir(dir).envs(env.iter().copied());
    command
}

async fn run(dir: &Path, args: &[&str]) -> Output {
    signet_process::output(signet(dir, args, &[])).await
}

async fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args).await;
    assert!(
        out.status.success(),
        "signet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

async fn run_fails(dir: &Path, args: &[&str], part: &str) {
    let out = run(dir, args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "signet {args:?} succeeded");
    assert!(stderr.contains(part), "signet {args:?}: {stderr}");
}

#[tokio::test]
async fn the_cli_points_a_domain_at_the_tenants_primary_and_the_server_publishes_there() {
    if !Bind::available() {
        return signet_testkit::skip("named, nsupdate or dig is missing");
    }
    let key = TsigKey::generate("signet-update");
    let bind = Bind::primary(&ZoneFile::new("example.test"), &key).await;
    let dir = TempDir::new().unwrap();
    let dir = dir.path();
    let created = run_ok(dir, &["tenant", "create", "acme", "--json"]).await;
    let created: Value = serde_json::from_str(&created).unwrap();
    let api_key = created["api_key"].as_str().unwrap().to_owned();
    let servers = bind.addr().to_string();
    let server = SignetServer::start(signet(
        dir,
        &["serve"],
        &[("SIGNET_DNS_SERVERS", &servers), ("SIGNET_KEY_POOL", "off")],
    ))
    .await;
    let client = reqwest::Client::new();
    let answer = client
        .post(format!("{}/v4/domains", server.base_url))
        .basic_auth("api", Some(&api_key))
        .form(&[
            ("name", "example.test"),
            ("dkim_selector", "mx"),
            ("dkim_key_size", "1024"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);

    let spec = key.spec();
    let base = ["domain", "publish-to", "example.test", "--tenant", "acme"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { [&base[..], extra].concat() };
    let set = [
        &base[..],
        &[
            "--server",
            &servers,
            "--zone",
            "example.test",
            "--tsig-key",
            &spec,
        ],
    ]
    .concat();
    let printed = run_ok(dir, &set).await;
    assert_eq!(
        printed.trim(),
        format!(
            "publishing example.test of tenant acme into zone example.test at {servers} \
             with key signet-update:hmac-sha256:<redacted> (status pending)"
        )
    );
    assert!(!printed.contains(key.secret()));

    let listed: Value = client
        .get(format!(
            "{}/v1/dkim/keys?signing_domain=example.test",
            server.base_url
        ))
        .basic_auth("api", Some(&api_key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let value = listed["items"][0]["dns_record"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually(Duration::from_secs(10), "the record in BIND", || async {
        (txt(bind.addr(), NAME).await == [value.clone()]).then_some(())
    })
    .await;

    run_fails(dir, &with(&["--zone", "example.test"]), "--server").await;
    let bad_key = with(&[
        "--server",
        "127.0.0.1:53",
        "--zone",
        "example.test",
        "--tsig-key",
        "signet-update:hmac-md5:c2VjcmV0",
    ]);
    run_fails(dir, &bad_key, "--tsig-key must be hmac-sha256").await;

    let off = with(&["--off"]);
    let stopped = run_ok(dir, &off).await;
    assert_eq!(
        stopped.trim(),
        "stopped publishing example.test; the records written stay in the zone"
    );
    run_fails(dir, &off, "DNS publisher not found").await;
    assert_eq!(txt(bind.addr(), NAME).await, [value]);
}
