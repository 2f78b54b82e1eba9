//! `signet serve` over HTTPS, as a process: a certificate replaced in a way
//! the file watch cannot see (same sizes, old modification times) is served
//! once the process gets SIGHUP, and not before.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::{Certificate, Client};
use signet_testkit::signet_process::{self, SignetServer};
use tempfile::TempDir;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");
/// The name the certificates are made for.
const HOST: &str = "signet.test";
/// How long the test waits for the reload.
const PATIENCE: Duration = Duration::from_secs(15);

/// A self-signed certificate for [`HOST`] and its key, as PEM.
fn pair() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).unwrap();
    (made.cert.pem(), made.signing_key.serialize_pem())
}

/// Whether a new connection trusting `cert` alone is served `/healthz`.
async fn trusted(cert: &str, address: &str) -> bool {
    let client = Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(Certificate::from_pem(cert.as_bytes()).unwrap())
        .resolve(HOST, address.parse().unwrap())
        .build()
        .unwrap();
    let port = address.rsplit(':').next().unwrap();
    let response = client
        .get(format!("https://{HOST}:{port}/healthz"))
        .send()
        .await;
    response.is_ok_and(|r| r.status().is_success())
}

/// Overwrites `path` with `text`, keeping its modification time.
fn overwrite_unseen(path: &Path, text: &str) {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, text).unwrap();
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

#[tokio::test]
async fn sighup_reloads_a_certificate_the_file_watch_did_not_see() {
    let dir = TempDir::new().unwrap();
    let (cert, key) = pair();
    std::fs::write(dir.path().join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), &key).unwrap();
    // Same sizes as the first pair, so only SIGHUP explains a reload.
    let (new_cert, new_key) = (0..1000)
        .map(|_| pair())
        .find(|(c, k)| c.len() == cert.len() && k.len() == key.len())
        .expect("a pair of the same sizes");
    let mut command = signet_process::signet(SIGNET, &["serve"]);
    command.current_dir(dir.path()).envs([
        ("SIGNET_TLS_CERT_FILE", "cert.pem"),
        ("SIGNET_TLS_KEY_FILE", "key.pem"),
    ]);
    let server = SignetServer::start(command).await;
    let address = server.base_url.trim_start_matches("http://").to_owned();
    assert!(trusted(&cert, &address).await, "the first certificate");

    overwrite_unseen(&dir.path().join("key.pem"), &new_key);
    overwrite_unseen(&dir.path().join("cert.pem"), &new_cert);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(trusted(&cert, &address).await, "unseen by the file watch");

    let pid = server.child.id().expect("running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let since = Instant::now();
    while !trusted(&new_cert, &address).await {
        assert!(since.elapsed() < PATIENCE, "not reloaded on SIGHUP");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("reloaded {:?} after SIGHUP", since.elapsed());
    assert!(!trusted(&cert, &address).await, "the old one is gone");
}
