//! Serving TLS itself, with rustls: the certificate and key files are read
//! at start (an error then stops the server), and again when either file
//! changes or on SIGHUP. A reload swaps the certificate new handshakes are
//! given; connections open meanwhile keep theirs and are not dropped. A
//! reload that fails (a half-written file, a key that does not match) is
//! logged and the certificate served so far stays.
//!
//! The handshake runs inside the connection's first read (see [`Stream`]), so
//! the header-read timeout bounds it: a client that never finishes it is
//! closed as one that never finishes its request head would be.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{ready, Context, Poll};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::{Accept, TlsAcceptor};

/// How often the files are looked at for a change.
const POLL: Duration = Duration::from_secs(1);

/// The certificate chain and private key files, both PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// Its private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// TLS as the server serves it: the acceptor handshakes use, and the
/// certificate it hands out, which [`Tls::reload_on_change`] keeps current.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    certificate: Arc<Current>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("files", &self.certificate.files)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads the files; an error names the file and what is wrong with it.
    pub fn load(files: TlsFiles) -> anyhow::Result<Self> {
        // The ring provider named here, not a process-wide default: other
        // crates in the tree may bring their own.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certified = certified_key(&files, &provider)?;
        let certificate = Arc::new(Current {
            stamp: RwLock::new(stamp(&files)),
            files,
            provider: provider.clone(),
            key: RwLock::new(Arc::new(certified)),
        });
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("the TLS provider offers no protocol version")?
            .with_no_client_auth()
            .with_cert_resolver(certificate.clone());
        // HTTP/1.1 only, as the server speaks.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate,
        })
    }

    /// Starts the handshake of an accepted connection, to run within its reads.
    pub fn accept<S>(&self, stream: S) -> Stream<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        Stream::Handshake(Box::new(self.acceptor.accept(stream)))
    }

    /// Reads the files again whenever either changes (looked at every
    /// second) or the process gets SIGHUP. Runs until dropped.
    pub fn reload_on_change(&self) -> io::Result<impl Future<Output = ()> + Send + 'static> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangup = signal(SignalKind::hangup())?;
        let certificate = self.certificate.clone();
        Ok(async move {
            let mut ticks = tokio::time::interval(POLL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let forced = tokio::select! {
                    _ = ticks.tick() => false,
                    _ = hangup.recv() => true,
                };
                certificate.reload(forced);
            }
        })
    }
}

/// The certificate handed to new handshakes, and where it came from.
#[derive(Debug)]
struct Current {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    /// The files' modification times and sizes when last read.
    stamp: RwLock<Stamp>,
    key: RwLock<Arc<CertifiedKey>>,
}

impl Current {
    /// Reads the files again if `forced` or if either changed since last read.
    fn reload(&self, forced: bool) {
        let now = stamp(&self.files);
        {
            let mut last = self.stamp.write().unwrap_or_else(|p| p.into_inner());
            if !forced && *last == now {
                return;
            }
            *last = now;
        }
        match certified_key(&self.files, &self.provider) {
            Ok(key) => {
                *self.key.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
            }
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                "TLS certificate not reloaded; the previous one is still served"
            ),
        }
    }
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.key.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

/// What tells a changed file: its modification time and size, per file.
type Stamp = [Option<(SystemTime, u64)>; 2];

fn stamp(files: &TlsFiles) -> Stamp {
    let of = |path: &Path| {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    [of(&files.cert), of(&files.key)]
}

/// The chain and key the files hold, checked to belong together.
fn certified_key(files: &TlsFiles, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let cert = &files.cert;
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("cannot read the TLS certificate file {}", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "the TLS certificate file {} holds no certificate",
        cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("cannot read the TLS key file {}", files.key.display()))?;
    CertifiedKey::from_der(chain, key, provider).with_context(|| {
        format!(
            "the TLS key {} does not serve the certificate {}",
            files.key.display(),
            cert.display()
        )
    })
}

/// A connection's stream, plain or TLS. A TLS one handshakes within its
/// first reads and writes, so the connection's own read deadlines bound the
/// handshake.
pub enum Stream<S> {
    /// No TLS.
    Plain(S),
    /// The handshake, under way.
    Handshake(Box<Accept<S>>),
    /// Handshaken.
    Tls(Box<tokio_rustls::server::TlsStream<S>>),
    /// The handshake failed: the connection is done.
    Failed,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream<S> {
    /// Drives the handshake, if one is under way, to its end.
    fn handshaken(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Self::Handshake(accept) = self {
            match ready!(Pin::new(&mut **accept).poll(cx)) {
                Ok(tls) => *self = Self::Tls(Box::new(tls)),
                Err(e) => {
                    *self = Self::Failed;
                    metrics::counter!("signet_tls_handshakes_failed_total").increment(1);
                    return Poll::Ready(Err(e));
                }
            }
        }
        match self {
            Self::Failed => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the TLS handshake failed",
            ))),
            _ => Poll::Ready(Ok(())),
        }
    }
}

/// Forwards a call to the plain or TLS stream once handshaken.
macro_rules! forward {
    ($self:ident, $cx:ident, $call:ident($($arg:expr),*)) => {{
        let this = $self.get_mut();
        ready!(this.handshaken($cx))?;
        match this {
            Stream::Plain(s) => Pin::new(s).$call($cx $(, $arg)*),
            Stream::Tls(s) => Pin::new(s).$call($cx $(, $arg)*),
            // `handshaken` left neither of these behind an `Ok`; should
            // that ever change, the connection fails rather than the task.
            Stream::Handshake(_) | Stream::Failed => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the TLS handshake is not finished",
            ))),
        }
    }};
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        forward!(self, cx, poll_read(buf))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        forward!(self, cx, poll_write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        forward!(self, cx, poll_flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        forward!(self, cx, poll_shutdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, cert: &str, key: &str) -> TlsFiles {
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, cert).unwrap();
        std::fs::write(&files.key, key).unwrap();
        files
    }

    fn pair() -> (String, String) {
        let made = rcgen::generate_simple_self_signed(vec!["signet.test".to_owned()]).unwrap();
        (made.cert.pem(), made.signing_key.serialize_pem())
    }

    #[test]
    fn a_key_that_does_not_match_the_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ((cert, key), (_, other_key)) = (pair(), pair());
        Tls::load(write(dir.path(), &cert, &key)).expect("a matching pair");
        let e = format!(
            "{:#}",
            Tls::load(write(dir.path(), &cert, &other_key)).unwrap_err()
        );
        assert!(e.contains("does not serve the certificate"), "{e}");
    }

    #[test]
    fn a_reload_that_fails_keeps_the_certificate_served() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair();
        let tls = Tls::load(write(dir.path(), &cert, &key)).unwrap();
        let served = || tls.certificate.key.read().unwrap().cert[0].clone();
        let before = served();
        write(dir.path(), "broken", &key);
        tls.certificate.reload(false);
        assert_eq!(served(), before, "kept");
        let (cert, key) = pair();
        write(dir.path(), &cert, &key);
        tls.certificate.reload(true);
        assert_ne!(served(), before, "replaced");
    }

    #[test]
    fn files_that_hold_no_certificate_or_no_key_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let files = write(dir.path(), "", "");
        let e = format!("{:#}", Tls::load(files.clone()).unwrap_err());
        assert!(e.contains("holds no certificate"), "{e}");
        assert!(e.contains(&files.cert.display().to_string()), "{e}");
        let missing = TlsFiles {
            cert: dir.path().join("absent.pem"),
            ..files
        };
        let e = format!("{:#}", Tls::load(missing).unwrap_err());
        assert!(e.contains("absent.pem"), "{e}");
    }
}
