//! A DNS daemon as a child process: its own temporary directory, its output
//! in a log file there, killed when dropped, waited for with a deadline.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// How long a daemon may take to answer after it is spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How many free ports a start tries, should another process take the port
/// between its choice and the daemon's bind.
const START_ATTEMPTS: usize = 3;
/// What a daemon's log says when it could not have its port.
const PORT_TAKEN: [&str; 3] = ["address in use", "Address already in use", "could not bind"];

/// A running daemon.
pub(crate) struct Daemon {
    addr: SocketAddr,
    child: Child,
    log: PathBuf,
    dir: TempDir,
}

impl Daemon {
    /// Starts a daemon on loopback `port`, or on a free port when `None`:
    /// `configure` writes its configuration into the directory for that
    /// port and returns its command; `ready` says whether the daemon at that
    /// address answers as it should. Without a port given, tries another
    /// when the daemon exits or reports its port taken; fails the test,
    /// showing the log, otherwise.
    pub(crate) async fn start<C, R, Fut>(
        what: &str,
        port: Option<u16>,
        mut configure: C,
        mut ready: R,
    ) -> Self
    where
        C: FnMut(&Path, u16) -> Command,
        R: FnMut(SocketAddr) -> Fut,
        Fut: Future<Output = bool>,
    {
        let mut last_log = String::new();
        let attempts = if port.is_some() { 1 } else { START_ATTEMPTS };
        for _ in 0..attempts {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let port = port.unwrap_or_else(free_dns_port);
            let log = dir.path().join(format!("{what}.log"));
            let out = std::fs::File::create(&log).expect("the log file is created");
            let err = out.try_clone().expect("the log file is shared");
            let child = configure(dir.path(), port)
                .stdout(Stdio::from(out))
                .stderr(Stdio::from(err))
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|e| panic!("{what} starts: {e}"));
            let mut daemon = Self {
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                child,
                log,
                dir,
            };
            let deadline = Instant::now() + START_TIMEOUT;
            let exited = loop {
                if let Ok(Some(status)) = daemon.child.try_wait() {
                    break Some(status);
                }
                if ready(daemon.addr).await {
                    break None;
                }
                assert!(
                    Instant::now() < deadline,
                    "{what} did not answer on {} within {START_TIMEOUT:?}; its log:\n{}",
                    daemon.addr,
                    daemon.log()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            last_log = daemon.log();
            let port_taken = PORT_TAKEN.iter().any(|s| last_log.contains(s));
            match exited {
                None if !port_taken => return daemon,
                None => eprintln!("{what}: port {port} was taken; another port"),
                Some(status) if port_taken => {
                    eprintln!("{what} exited ({status}): port {port} taken; another port")
                }
                Some(status) => panic!("{what} exited ({status}); its log:\n{last_log}"),
            }
        }
        panic!("{what} did not start on any of {attempts} ports; last log:\n{last_log}");
    }

    /// Where it answers, UDP and TCP.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its temporary directory, where its configuration and data lie.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id().expect("the daemon runs")
    }

    /// What it has written so far, for a failing test's message.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A loopback port free for both UDP and TCP right now, and never handed
/// out before in this process: Knot binds its UDP port with SO_REUSEPORT,
/// so two daemons given one port would both start, and tests run in
/// parallel.
pub fn free_dns_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut given = GIVEN.lock().unwrap_or_else(PoisonError::into_inner);
    for _ in 0..50 {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback UDP port");
        let port = udp.local_addr().expect("a local address").port();
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() && given.insert(port) {
            return port;
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}
