//! HTTPS served by Signet itself: a certificate made here, a client that
//! checks it (and one that does not trust it, refused), a certificate
//! replaced on disk and served to new connections without a restart, and a
//! handshake that never finishes closed by the header-read timeout.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::{Certificate, Client, StatusCode};
use secrecy::SecretString;
use signet_api::{Application, MasterKeySource, Settings};
use signet_connections::tls::TlsFiles;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The name the certificates are made for; clients resolve it to the server.
const HOST: &str = "signet.test";
/// The shortened header-read timeout of these tests.
const HEADER_READ: Duration = Duration::from_secs(2);
/// How long a test waits for what must happen.
const PATIENCE: Duration = Duration::from_secs(15);

/// A fresh self-signed certificate for [`HOST`], as PEM: (certificate, key).
fn certificate() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).unwrap();
    (made.cert.pem(), made.signing_key.serialize_pem())
}

/// Writes a certificate and key where the server reads them; the key first,
/// both whole, so a reload never reads a half-written pair.
fn install(files: &TlsFiles, (cert, key): &(String, String)) {
    let write = |path: &Path, text: &str| {
        let partial = path.with_extension("new");
        std::fs::write(&partial, text).unwrap();
        std::fs::rename(&partial, path).unwrap();
    };
    write(&files.key, key);
    write(&files.cert, cert);
}

/// A server on SQLite serving HTTPS with the files in `dir`; its address.
async fn spawn_https(dir: &TempDir, files: TlsFiles) -> SocketAddr {
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: SecretString::from(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("signet.db").display()
        )),
        master_key: MasterKeySource::Base64(SecretString::from(
            STANDARD.encode(rand::random::<[u8; 32]>()),
        )),
        tls: Some(files),
        ..Settings::default()
    };
    let mut settings = settings;
    settings.limits.header_read_timeout = HEADER_READ;
    let app = Application::build(settings)
        .await
        .expect("the server builds");
    let addr = SocketAddr::from(([127, 0, 0, 1], app.port()));
    tokio::spawn(app.run_until_stopped());
    addr
}

/// A client that trusts `cert` alone (not the system's roots) and reaches
/// [`HOST`] at `addr`.
fn trusting(cert: &str, addr: SocketAddr) -> Client {
    Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(Certificate::from_pem(cert.as_bytes()).unwrap())
        .resolve(HOST, addr)
        .tls_info(true)
        .build()
        .unwrap()
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("https://{HOST}:{}{path}", addr.port())
}

fn tls_files(dir: &TempDir) -> TlsFiles {
    TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    }
}

#[tokio::test]
async fn https_is_served_with_the_certificate_a_client_checks_and_refused_to_one_that_does_not_trust_it(
) {
    let dir = TempDir::new().unwrap();
    let files = tls_files(&dir);
    let pair = certificate();
    install(&files, &pair);
    let addr = spawn_https(&dir, files).await;

    let client = trusting(&pair.0, addr);
    for path in ["/healthz", "/readyz"] {
        let response = client.get(url(addr, path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let metrics = client.get(url(addr, "/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);

    let stranger = trusting(&certificate().0, addr);
    let refused = stranger.get(url(addr, "/healthz")).send().await;
    let error = refused.expect_err("a certificate the client does not trust");
    assert!(error.is_connect(), "{error:?}");

    // Plain HTTP to the TLS port is no request at all.
    let plain = Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", addr.port()))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
}

/// The DER of the certificate `client` was served for `GET /healthz`.
async fn served(client: &Client, addr: SocketAddr) -> reqwest::Result<Vec<u8>> {
    let response = client.get(url(addr, "/healthz")).send().await?;
    let info = response.extensions().get::<reqwest::tls::TlsInfo>();
    Ok(info
        .and_then(|info| info.peer_certificate())
        .expect("the served certificate")
        .to_vec())
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_is_served_to_new_connections_and_open_ones_stay() {
    let dir = TempDir::new().unwrap();
    let files = tls_files(&dir);
    let (old, new) = (certificate(), certificate());
    install(&files, &old);
    let addr = spawn_https(&dir, files.clone()).await;
    let kept = trusting(&old.0, addr);
    served(&kept, addr)
        .await
        .expect("the old certificate is served");

    install(&files, &new);
    let since = Instant::now();
    let delay = loop {
        // A new client each time: a new connection, a new handshake.
        if served(&trusting(&new.0, addr), addr).await.is_ok() {
            break since.elapsed();
        }
        assert!(since.elapsed() < PATIENCE, "not reloaded in {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("the new certificate was served {delay:?} after the files were replaced");
    let refused = served(&trusting(&old.0, addr), addr).await;
    assert!(refused.is_err(), "the old certificate is no longer served");
    // The connection opened before the reload is still served.
    served(&kept, addr)
        .await
        .expect("the open connection stays");

    // A broken pair is not loaded: the new certificate stays.
    std::fs::write(&tls_files(&dir).cert, "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    served(&trusting(&new.0, addr), addr)
        .await
        .expect("the last good certificate is still served");
}

#[tokio::test]
async fn a_handshake_that_never_finishes_is_closed_by_the_header_read_timeout() {
    let dir = TempDir::new().unwrap();
    let files = tls_files(&dir);
    install(&files, &certificate());
    let addr = spawn_https(&dir, files).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The start of a TLS handshake record, and nothing more.
    stream
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
        .await
        .unwrap();
    let since = Instant::now();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    let waited = since.elapsed();
    eprintln!("an unfinished handshake was closed after {waited:?}");
    assert!(closed.is_ok(), "still open after {PATIENCE:?}");
    assert!(
        waited >= HEADER_READ - Duration::from_millis(200),
        "{waited:?}"
    );
}
