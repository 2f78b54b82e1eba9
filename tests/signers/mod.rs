//! Keys that reach real signers: `signet fleet sync` writes OpenDKIM's
//! tables, rspamd's Redis hashes and a plain directory from the fleet feed;
//! OpenDKIM and rspamd sign mail with them, and dkimpy, an independent
//! verifier, checks the signatures against Signet's DNS record values.

mod agent;
mod opendkim;
mod rspamd;

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{json, Value};
use signet_agent::targets::Target;
use signet_agent::transport::Transport;
use signet_agent::{run_until, SyncOptions};
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
        transport: Transport::default(),
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

/// The DNS record (name, value) of `selector` on `domain` in a feed body.
pub fn record_of(feed: &Value, domain: &str, selector: &str) -> (String, String) {
    let key = feed["keys"]
        .as_array()
        .expect("a key list")
        .iter()
        .find(|k| k["domain"] == domain && k["selector"] == selector)
        .unwrap_or_else(|| panic!("{selector} on {domain} is in the feed"));
    let record = &key["dns_record"];
    let text = |v: &Value| v.as_str().expect("a string").to_owned();
    (text(&record["name"]), text(&record["value"]))
}

/// Makes an Ed25519 key `selector` on `domain` through GreenArrow.
pub async fn create_ed25519(app: &signet_tests::TestApp, domain: &str, selector: &str) {
    let made = app
        .greenarrow()
        .create_ok(
            json!({ "domain": domain, "selector": selector, "key": { "algorithm": "ed25519" } }),
        )
        .await;
    assert_eq!(made["key"]["algorithm"], "ed25519");
}
