//! A TCP proxy a test puts between the server and a service, to break the
//! network the ways production does: a blackhole (connections stay open but
//! nothing gets through, as when packets are dropped) and a refusal (nothing
//! listens, as when the service is down).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bytes flow both ways.
    Forward,
    /// Connections are accepted and kept open, but no byte is passed on
    /// until forwarding resumes (what was sent meanwhile is then delivered,
    /// as TCP's retransmissions would after a network outage).
    Blackhole,
    /// Open connections are closed and new ones refused: the port has no
    /// listener.
    Refuse,
}

/// A running proxy; it stops when dropped.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (mode, _) = watch::channel(Mode::Forward);
        let accepting = tokio::spawn(accept(listener, upstream, mode.subscribe()));
        Self {
            addr,
            mode,
            accepting,
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches what the proxy does, for open connections and new ones.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.set(Mode::Refuse);
        self.accepting.abort();
    }
}

/// Accepts connections while not refusing; while refusing, the listener is
/// closed and bound again on the same port when the refusal ends.
async fn accept(listener: TcpListener, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let addr = listener.local_addr().expect("the proxy's address");
    let relays = mode.clone();
    let mut listener = Some(listener);
    loop {
        let Some(open) = &listener else {
            if mode.wait_for(|m| *m != Mode::Refuse).await.is_err() {
                return;
            }
            listener = Some(
                TcpListener::bind(addr)
                    .await
                    .expect("the proxy's port again"),
            );
            continue;
        };
        let refusing = tokio::select! {
            accepted = open.accept() => {
                if let Ok((client, _)) = accepted {
                    tokio::spawn(relay(client, upstream, relays.clone()));
                }
                false
            }
            refused = mode.wait_for(|m| *m == Mode::Refuse) => {
                if refused.is_err() {
                    return;
                }
                true
            }
        };
        if refusing {
            listener = None;
        }
    }
}

/// Carries one connection until either side closes or the proxy refuses.
async fn relay(client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(client_read, server_write, mode.clone());
    let down = pump(server_read, client_write, mode.clone());
    tokio::select! {
        () = up => {}
        () = down => {}
        _ = mode.wait_for(|m| *m == Mode::Refuse) => {}
    }
}

/// Copies one direction, holding bytes back while the proxy is not
/// forwarding.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut mode: watch::Receiver<Mode>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if mode.wait_for(|m| *m == Mode::Forward).await.is_err() {
            return;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Read just as a blackhole began: deliver only when it ends.
        if mode.wait_for(|m| *m == Mode::Forward).await.is_err() {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
