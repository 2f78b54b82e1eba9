//! A real BIND 9 (`named`, Debian's bind9) on a loopback port, in the
//! foreground with its files in a temporary directory: a primary whose zone
//! takes TSIG-signed RFC 2136 UPDATEs (a tenant's own DNS), or a secondary
//! that transfers a zone with TSIG (a copy of Signet's zone). No recursion,
//! no rndc. Under `CI=true` a missing binary is a failure, never a skip.

use std::net::SocketAddr;
use std::path::Path;

use tokio::process::Command;

use crate::daemon::Daemon;
use crate::dns_query::{ask, soa_serial, RecordType};
use crate::dns_tools;
use crate::on_ci;
use crate::tsig::{TsigKey, ALGORITHM};
use crate::zone_file::{absolute, ZoneFile};

const NAMED: &str = "/usr/sbin/named";

/// A `named` child process, killed when dropped.
pub struct Bind {
    daemon: Daemon,
}

impl Bind {
    /// Whether named, nsupdate and dig are installed; fails under CI when not.
    pub fn available() -> bool {
        let found = Path::new(NAMED).exists() && dns_tools::installed();
        assert!(
            found || !on_ci(),
            "CI=true but BIND is missing (apt-get install bind9 bind9-dnsutils)"
        );
        found
    }

    /// A primary for `zone`, its records from the zone file, that takes
    /// UPDATEs signed with `key` (`allow-update { key ...; }`) and refuses
    /// the rest, and allows transfers signed with `key`.
    pub async fn primary(zone: &ZoneFile, key: &TsigKey) -> Self {
        let name = zone.origin().to_owned();
        let text = zone.render();
        let serial = zone.serial();
        let key_name = key.name().to_owned();
        let daemon = Daemon::start(
            "named",
            None,
            |dir, port| {
                std::fs::write(dir.join("zone.db"), &text).expect("the zone file is written");
                let zone = format!(
                    "zone \"{name}\" {{\n  type primary;\n  file \"zone.db\";\n  \
                     allow-update {{ key \"{key_name}\"; }};\n  \
                     allow-transfer {{ key \"{key_name}\"; }};\n}};\n"
                );
                named(dir, port, key, &zone)
            },
            |addr| {
                let name = name.clone();
                async move { soa_serial(addr, &name).await == Some(serial) }
            },
        )
        .await;
        Self { daemon }
    }

    /// A secondary for `zone` that transfers it from `primary` with `key`
    /// (and answers SERVFAIL for it until the first transfer succeeds). A
    /// NOTIFY from the primary's address makes it ask again at once. Before
    /// its first transfer BIND retries only after a minute or more: a
    /// secondary started before its primary needs a NOTIFY once the primary
    /// is up ([`dns_tools::notify`], or the primary's own).
    pub async fn secondary(zone: &str, primary: SocketAddr, key: &TsigKey) -> Self {
        let name = absolute(zone);
        let key_name = key.name().to_owned();
        let daemon = Daemon::start(
            "named",
            None,
            |dir, port| {
                let zone = format!(
                    "zone \"{name}\" {{\n  type secondary;\n  file \"zone.bk\";\n  \
                     primaries {{ {} port {} key \"{key_name}\"; }};\n  \
                     allow-notify {{ key \"{key_name}\"; }};\n  \
                     min-retry-time 1;\n  max-retry-time 2;\n}};\n",
                    primary.ip(),
                    primary.port(),
                );
                named(dir, port, key, &zone)
            },
            |addr| {
                let name = name.clone();
                async move { ask(addr, &name, RecordType::SOA).await.is_ok() }
            },
        )
        .await;
        Self { daemon }
    }

    /// Where it answers, UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr()
    }

    /// Sends it one UPDATE of `zone` (see [`dns_tools::nsupdate`]), signed
    /// with `key` if given: how a test adds records out of band, or checks
    /// that an unsigned or wrongly signed update is refused.
    pub async fn update(
        &self,
        zone: &str,
        key: Option<&TsigKey>,
        commands: &[&str],
    ) -> Result<(), String> {
        dns_tools::nsupdate(self.addr(), zone, key, commands).await
    }

    /// What named has logged, for a failing test's message.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// The `named` command for a server on 127.0.0.1:`port` with its files in
/// `dir`, knowing `key`, serving `zones` (configuration statements).
fn named(dir: &Path, port: u16, key: &TsigKey, zones: &str) -> Command {
    let dir_text = dir.display();
    let config = format!(
        "options {{\n  directory \"{dir_text}\";\n  pid-file \"named.pid\";\n  \
         session-keyfile \"session.key\";\n  managed-keys-directory \"{dir_text}\";\n  \
         dump-file \"dump.db\";\n  statistics-file \"named.stats\";\n  \
         listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  \
         recursion no;\n  dnssec-validation no;\n  notify no;\n}};\n\
         controls {{ }};\n\
         key \"{name}\" {{ algorithm {ALGORITHM}; secret \"{secret}\"; }};\n{zones}",
        name = key.name(),
        secret = key.secret(),
    );
    let path = dir.join("named.conf");
    std::fs::write(&path, config).expect("named.conf is written");
    let mut command = Command::new(NAMED);
    // Foreground, logging to stderr; one worker thread: the tests share
    // the machine.
    command.args(["-g", "-4", "-n", "1", "-c"]).arg(path);
    command
}
