//! Keys that reach real signers: `signet fleet sync` writes OpenDKIM's
//! tables, rspamd's Redis hashes and a plain directory from the fleet feed;
//! OpenDKIM and rspamd sign mail with them, and dkimpy, an independent
//! verifier, checks the signatures against Signet's DNS record values.

mod agent;
mod opendkim;
mod rspamd;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use secrecy::SecretString;
use serde_json::json;
use signet_api::fleet_sync::feed::Feed;
use signet_api::fleet_sync::targets::Target;
use signet_api::fleet_sync::{run_until, SyncOptions};
use signet_tests::skip;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The repository's root.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// `.venv-sdk`'s python with dkimpy; `None` (the test skips) when missing
/// outside CI, a failure under `CI=true`.
pub fn verifier() -> Option<PathBuf> {
    let python = repo().join(".venv-sdk/bin/python");
    let usable = python.exists()
        && std::process::Command::new(&python)
            .args(["-c", "import dkim, nacl"])
            .status()
            .is_ok_and(|s| s.success());
    if !usable {
        let setup = "python3 -m venv .venv-sdk && .venv-sdk/bin/pip install dkimpy pynacl";
        assert!(
            !signet_testkit::on_ci(),
            "CI=true but {} cannot import dkim and nacl: run `{setup}`",
            python.display()
        );
        skip(&format!(
            "no dkimpy in {} (run `{setup}`)",
            python.display()
        ));
        return None;
    }
    Some(python)
}

/// Whether `message`'s DKIM signatures verify with dkimpy, against a DNS
/// holding only `name` TXT `value`; dkimpy's verdict.
pub async fn dkimpy(python: &Path, message: &[u8], name: &str, value: &str) -> String {
    let mut child = tokio::process::Command::new(python)
        .arg(repo().join("tests/signers/verify_dkim.py"))
        .args([name, value])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    tokio::io::AsyncWriteExt::write_all(&mut stdin, message)
        .await
        .expect("the message is handed over");
    drop(stdin);
    let output = child.wait_with_output().await.expect("dkimpy ends");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The value of tag `tag` in a DKIM-Signature (`d`, `s`, `a`).
pub fn tag(signature: &str, tag: &str) -> String {
    signature
        .split(';')
        .filter_map(|part| part.split_once('='))
        .find(|(name, _)| name.trim() == tag)
        .map(|(_, value)| value.split_whitespace().collect())
        .unwrap_or_default()
}

/// The agent's options: `targets` fed from the Signet at `url`.
pub fn options(url: &str, token: &str, targets: &[String]) -> SyncOptions {
    SyncOptions {
        url: url.to_owned(),
        token: SecretString::from(token.to_owned()),
        targets: targets
            .iter()
            .map(|t| Target::parse(t).expect("a valid target"))
            .collect(),
        interval: None,
        on_change: None,
    }
}

/// `signet fleet sync --once`.
pub async fn sync_once(url: &str, token: &str, targets: &[String]) -> anyhow::Result<()> {
    run_until(options(url, token, targets), std::future::pending()).await
}

/// A `signet fleet sync` polling in the background until dropped.
pub struct RunningAgent {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl RunningAgent {
    /// Starts the agent polling every `interval`.
    pub fn start(mut options: SyncOptions, interval: Duration) -> Self {
        options.interval = Some(interval);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run_until(options, async {
            let _ = stopped.await;
        }));
        Self {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops it; it must have kept running until now.
    pub async fn stop(mut self) {
        let _ = self.stop.take().expect("running").send(());
        let task = self.task.take().expect("running");
        let ended = signet_tests::within(Duration::from_secs(10), "the agent stops", task).await;
        ended
            .expect("the agent did not panic")
            .expect("the agent ran to its stop");
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// An Ed25519 key as the feed carries it: PKCS#8 v1 PEM, and its record.
pub struct Ed25519 {
    /// PKCS#8 v1 PEM (`BEGIN PRIVATE KEY`), as the feed serves it.
    pub pem: String,
    /// `v=DKIM1; k=ed25519; p=<base64 of the 32-byte public key>`.
    pub record: String,
}

impl Ed25519 {
    /// A fresh key.
    pub fn generate() -> Self {
        let rng = ring::rand::SystemRandom::new();
        let v2 = Ed25519KeyPair::generate_pkcs8(&rng).expect("an Ed25519 key");
        let pair = Ed25519KeyPair::from_pkcs8(v2.as_ref()).expect("its own PKCS#8");
        // RFC 8410's version 1 form: the header, then the 32-byte seed.
        let mut v1 = hex_bytes("302e020100300506032b657004220420");
        v1.extend_from_slice(&v2.as_ref()[16..48]);
        let body = STANDARD.encode(&v1);
        Self {
            pem: format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"),
            record: format!(
                "v=DKIM1; k=ed25519; p={}",
                STANDARD.encode(pair.public_key().as_ref())
            ),
        }
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A feed of one signing key per `(domain, selector, algorithm, pem, record)`,
/// as fleet `fleet` would serve it.
pub fn feed_of(fleet: &str, keys: &[(&str, &str, &str, &str, &str)]) -> Feed {
    let keys: Vec<_> = keys
        .iter()
        .map(|(domain, selector, algorithm, pem, record)| {
            json!({
                "domain": domain, "selector": selector, "algorithm": algorithm,
                "stage": "active", "signing": true, "default_for_domain": true,
                "private_key": pem,
                "dns_record": {"name": format!("{selector}._domainkey.{domain}"), "value": record},
                "updated_at": "2026-11-29T06:00:00Z",
            })
        })
        .collect();
    let body = json!({ "fleet": fleet, "keys": keys }).to_string();
    Feed::parse(body.as_bytes()).expect("a valid feed")
}
