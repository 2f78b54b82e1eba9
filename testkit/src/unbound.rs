//! A real Unbound on a loopback port: the recursive resolver Signet is
//! configured with in the DNS tests. It knows no root: it answers from the
//! stub zones a test gives (zone name → the address of the loopback server
//! that is authoritative for it), without DNSSEC validation, and keeps
//! answers at most a second so tests see changes quickly. In the foreground,
//! no chroot, no remote control. Under `CI=true` a missing binary is a
//! failure, never a skip.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use tokio::process::Command;

use crate::daemon::Daemon;
use crate::dns_query::ask;
use crate::on_ci;
use crate::zone_file::absolute;

const UNBOUND: &str = "/usr/sbin/unbound";
/// Zones Unbound answers itself (RFC 6761 and its other defaults) that
/// tests put stub zones under; each such default is switched off.
const DEFAULT_LOCAL_ZONES: [&str; 3] = ["test.", "invalid.", "home.arpa."];

/// An `unbound` child process, killed when dropped.
pub struct Unbound {
    daemon: Daemon,
}

impl Unbound {
    /// Whether unbound is installed; fails under CI when not.
    pub fn available() -> bool {
        let found = Path::new(UNBOUND).exists();
        assert!(
            found || !on_ci(),
            "CI=true but {UNBOUND} is missing (apt-get install unbound)"
        );
        found
    }

    /// A resolver that sends the questions for each of `stubs`' zones to
    /// its address, and answers REFUSED for every other name but its own
    /// defaults (`localhost.`): it never asks the internet's root.
    pub async fn start(stubs: &[(&str, SocketAddr)]) -> Self {
        let mut local_zones = "  local-zone: \".\" refuse\n".to_owned();
        let mut stub_zones = String::new();
        for (zone, addr) in stubs {
            let zone = absolute(zone).to_ascii_lowercase();
            let _ = write!(
                stub_zones,
                "stub-zone:\n  name: \"{zone}\"\n  stub-addr: {}@{}\n",
                addr.ip(),
                addr.port()
            );
            // Resolved as usual beneath the refusing root.
            let _ = writeln!(local_zones, "  local-zone: \"{zone}\" transparent");
            for default in DEFAULT_LOCAL_ZONES {
                let under = zone == default || zone.ends_with(&format!(".{default}"));
                let line = format!("  local-zone: \"{default}\" nodefault\n");
                if under && !local_zones.contains(&line) {
                    local_zones.push_str(&line);
                }
            }
        }
        let daemon = Daemon::start(
            "unbound",
            None,
            |dir, port| unbound(dir, port, &local_zones, &stub_zones),
            |addr| async move {
                ask(addr, "localhost.", RecordType::A)
                    .await
                    .is_ok_and(|answer| answer.code == ResponseCode::NoError)
            },
        )
        .await;
        Self { daemon }
    }

    /// Where it answers, UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr()
    }

    /// What unbound has logged, for a failing test's message.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// The `unbound` command for a resolver on 127.0.0.1:`port` with its files
/// in `dir`: `local_zones` are `server:` lines, `stub_zones` whole clauses.
fn unbound(dir: &Path, port: u16, local_zones: &str, stub_zones: &str) -> Command {
    let config = format!(
        "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-ip6: no\n  \
         do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{}\"\n  \
         pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  \
         num-threads: 1\n  access-control: 127.0.0.0/8 allow\n  \
         do-not-query-localhost: no\n  module-config: \"iterator\"\n  \
         cache-max-ttl: 1\n  cache-max-negative-ttl: 1\n  infra-host-ttl: 1\n\
         {local_zones}\
         remote-control:\n  control-enable: no\n\
         {stub_zones}",
        dir.display()
    );
    let path = dir.join("unbound.conf");
    std::fs::write(&path, config).expect("unbound.conf is written");
    let mut command = Command::new(UNBOUND);
    command.arg("-d").arg("-c").arg(path);
    command
}
