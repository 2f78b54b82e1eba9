//! The agent and TLS: a server certificate made here is trusted through
//! `--ca-file` alone; without it, or with another CA, the agent refuses
//! the server and writes nothing. `http://` goes only to loopback.

use std::path::Path;

use crate::support::{feed, stderr, sync_once, Answer, FeedServer};

fn certificate() -> rcgen::CertifiedKey<rcgen::KeyPair> {
    rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
}

fn written(dir: &Path) -> bool {
    dir.join("keys/a.example/s1.pem").is_file()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_is_trusted_through_ca_file_and_refused_otherwise() {
    let made = certificate();
    let server = FeedServer::start_tls(Answer::Feed(feed(&[("a.example", "s1")])), &made).await;
    assert!(server.url.starts_with("https://127.0.0.1:"));
    let work = tempfile::tempdir().unwrap();
    let ca = work.path().join("ca.pem");
    std::fs::write(&ca, made.cert.pem()).unwrap();
    let other = work.path().join("other.pem");
    std::fs::write(&other, certificate().cert.pem()).unwrap();
    let to = format!("dir:{}", work.path().join("keys").display());

    // The system's roots do not know it, nor does another CA.
    for args in [
        vec!["--to", &to],
        vec!["--to", &to, "--ca-file", other.to_str().unwrap()],
    ] {
        let out = sync_once(&server.url, &args).await;
        assert!(!out.status.success(), "{args:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(said.contains("polling https://127.0.0.1:"), "{said}");
        assert!(
            said.contains("invalid peer certificate"),
            "a certificate error: {said}"
        );
        assert!(!written(work.path()), "{args:?}: nothing written");
    }

    let trusted = sync_once(
        &server.url,
        &["--to", &to, "--ca-file", ca.to_str().unwrap()],
    )
    .await;
    assert!(trusted.status.success(), "{}", stderr(&trusted));
    assert!(written(work.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_file_without_a_certificate_is_refused_in_one_line() {
    let work = tempfile::tempdir().unwrap();
    let ca = work.path().join("empty.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let to = format!("dir:{}", work.path().join("keys").display());
    let out = sync_once(
        "https://127.0.0.1:1",
        &["--to", &to, "--ca-file", ca.to_str().unwrap()],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("holds no certificate"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_text_is_refused_to_a_host_that_is_not_loopback() {
    let work = tempfile::tempdir().unwrap();
    let to = format!("dir:{}", work.path().join("keys").display());
    // Refused before any connection: nothing leaves this machine.
    let out = sync_once("http://signet.example", &["--to", &to]).await;
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains(
            "refusing http://signet.example/fleet/v1/keys: the feed carries private keys"
        ),
        "{said}"
    );
    assert!(said.contains("--insecure-http"), "{said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");

    // Loopback in clear text is allowed as it was.
    let server = FeedServer::start(Answer::Feed(feed(&[("a.example", "s1")]))).await;
    let out = sync_once(&server.url, &["--to", &to]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(written(work.path()));
}
