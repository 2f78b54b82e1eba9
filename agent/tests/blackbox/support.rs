//! What the agent's black-box tests share: the `signet-agent` binary, and a
//! small feed server on loopback (plain or TLS) whose answer a test sets.

use std::process::Output;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto::ring, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// What the feed server answers.
#[derive(Clone)]
pub enum Answer {
    /// 200 with this body and its `Content-Length`.
    Feed(String),
    /// 200 with this many bytes of a feed that never ends, written as
    /// they go (never held whole), without a `Content-Length`.
    Endless(u64),
}

/// A feed server on 127.0.0.1; stops with the test's runtime.
pub struct FeedServer {
    /// `http://127.0.0.1:PORT` or `https://...`.
    pub url: String,
    answer: Arc<Mutex<Answer>>,
}

impl FeedServer {
    /// A plain HTTP server answering `answer`.
    pub async fn start(answer: Answer) -> Self {
        Self::serve(answer, None).await
    }

    /// A TLS server answering `answer` with `certificate`.
    pub async fn start_tls(
        answer: Answer,
        certificate: &rcgen::CertifiedKey<rcgen::KeyPair>,
    ) -> Self {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certificate.signing_key.serialize_der(),
        ));
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certificate.cert.der().clone()], key)
            .unwrap();
        Self::serve(answer, Some(TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn serve(answer: Answer, tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let answer = Arc::new(Mutex::new(answer));
        let shared = answer.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let now = shared.lock().unwrap().clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(stream).await {
                                respond(stream, now).await;
                            }
                        }
                        None => respond(stream, now).await,
                    }
                });
            }
        });
        Self {
            url: format!("{scheme}://127.0.0.1:{port}"),
            answer,
        }
    }

    /// Answers `answer` from now on.
    pub fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }
}

/// Reads a request head and writes the answer; the connection then closes.
async fn respond<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, answer: Answer) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    match answer {
        Answer::Feed(body) => {
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"e\"\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
        Answer::Endless(total) => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let start = br#"{"fleet":"mta","keys":["#;
            let _ = stream.write_all(start).await;
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = start.len() as u64;
            while sent < total {
                // The agent hanging up ends it.
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len() as u64;
            }
        }
    }
    let _ = stream.shutdown().await;
}

/// A feed of `keys`, each (domain, selector).
pub fn feed(keys: &[(&str, &str)]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|(domain, selector)| {
            format!(
                r#"{{"domain":"{domain}","selector":"{selector}","algorithm":"rsa","stage":"active",
                   "signing":true,"default_for_domain":true,
                   "private_key":"-----BEGIN PRIVATE KEY-----\nMIIB{selector}\n-----END PRIVATE KEY-----\n",
                   "dns_record":{{"name":"{selector}._domainkey.{domain}","value":"v=DKIM1; k=rsa; p=AAAA"}},
                   "updated_at":"2026-12-01T00:00:00Z"}}"#
            )
        })
        .collect();
    format!(r#"{{"fleet":"mta","keys":[{}]}}"#, keys.join(","))
}

/// `signet-agent sync --once --url URL --token sgf_x ARGS...`, the token
/// from the environment.
pub async fn sync_once(url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_signet-agent"))
        .args(["sync", "--once", "--url", url])
        .args(args)
        .env("SIGNET_FLEET_TOKEN", "sgf_test")
        .env("RUST_LOG", "info")
        .output()
        .await
        .unwrap()
}

/// The agent's stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
