//! A real Knot DNS (`knotd`, Debian's knot) on a loopback port, in the
//! foreground with its files in a temporary directory: a primary serving a
//! zone file a test gives (the benchmark's yardstick, the zone a secondary
//! copies, or a tenant's zone taking signed UPDATEs), or a secondary that
//! transfers a zone with TSIG and takes TSIG-signed NOTIFYs. Under
//! `CI=true` a missing binary is a failure.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use crate::daemon::Daemon;
use crate::dns_query::{ask, soa_serial, RecordType};
use crate::dns_tools;
use crate::on_ci;
use crate::tsig::{TsigKey, ALGORITHM};
use crate::zone_file::{absolute, ZoneFile};

const KNOTD: &str = "/usr/sbin/knotd";
const KNOTC: &str = "/usr/sbin/knotc";
/// The zone file's name in the server's directory.
const ZONE_FILE: &str = "zone.db";
/// How long a reload may take.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A `knotd` child process, killed when dropped.
pub struct Knot {
    daemon: Daemon,
    zone: String,
}

impl Knot {
    /// Whether knotd and knotc are installed; fails under CI when not.
    pub fn available() -> bool {
        let found = Path::new(KNOTD).exists() && Path::new(KNOTC).exists();
        assert!(
            found || !on_ci(),
            "CI=true but Knot DNS is missing (apt-get install knot knot-dnsutils)"
        );
        found
    }

    /// A primary serving `zone`, one worker of each kind, that allows
    /// transfers and RFC 2136 UPDATEs signed with `key` (neither without a
    /// key). Updates live in memory only: [`Self::replace_zone`] drops them.
    pub async fn primary(zone: &ZoneFile, key: Option<&TsigKey>) -> Self {
        Self::primary_with_workers(zone, key, 1).await
    }

    /// [`Self::primary`] with `workers` UDP and TCP workers (a benchmark
    /// gives it the machine's cores).
    pub async fn primary_with_workers(
        zone: &ZoneFile,
        key: Option<&TsigKey>,
        workers: usize,
    ) -> Self {
        Self::serve(zone, key, workers, None).await
    }

    /// [`Self::primary`] on loopback `port`, which a test chose with
    /// [`crate::free_dns_port`] to point secondaries at before it starts.
    pub async fn primary_on(port: u16, zone: &ZoneFile, key: Option<&TsigKey>) -> Self {
        Self::serve(zone, key, 1, Some(port)).await
    }

    /// A primary with `workers` workers, on `port` or a free one.
    async fn serve(
        zone: &ZoneFile,
        key: Option<&TsigKey>,
        workers: usize,
        port: Option<u16>,
    ) -> Self {
        let name = zone.origin().to_owned();
        let text = zone.render();
        let serial = zone.serial();
        let mut zone_conf = format!(
            "zone:\n  - domain: {name}\n    file: {ZONE_FILE}\n    zonefile-sync: -1\n    \
             zonefile-load: whole\n    journal-content: none\n"
        );
        let mut acl = String::new();
        if let Some(key) = key {
            acl = format!(
                "acl:\n  - id: signed\n    key: {}\n    action: [transfer, update]\n",
                key.name()
            );
            zone_conf.push_str("    acl: signed\n");
        }
        let daemon = Daemon::start(
            "knotd",
            port,
            |dir, port| {
                std::fs::write(dir.join(ZONE_FILE), &text).expect("the zone file is written");
                let extra = format!("{acl}{zone_conf}");
                knotd(dir, port, workers, key, &extra)
            },
            |addr| {
                let name = name.clone();
                async move { soa_serial(addr, &name).await == Some(serial) }
            },
        )
        .await;
        Self {
            daemon,
            zone: zone.origin().to_owned(),
        }
    }

    /// A secondary for `zone` that transfers it from `primary` with `key`,
    /// and takes NOTIFYs from the primary's address signed with `key`. It
    /// answers SERVFAIL for the zone until the first transfer succeeds;
    /// failed attempts, the first included, are retried every two seconds.
    pub async fn secondary(zone: &str, primary: SocketAddr, key: &TsigKey) -> Self {
        let name = absolute(zone);
        let extra = format!(
            "remote:\n  - id: primary\n    address: {}@{}\n    key: {key_name}\n\
             acl:\n  - id: notify\n    address: {}\n    key: {key_name}\n    action: notify\n\
             zone:\n  - domain: {name}\n    master: primary\n    acl: notify\n    \
             file: {ZONE_FILE}\n    zonefile-sync: -1\n    \
             retry-min-interval: 1\n    retry-max-interval: 2\n",
            primary.ip(),
            primary.port(),
            primary.ip(),
            key_name = key.name(),
        );
        let daemon = Daemon::start(
            "knotd",
            None,
            |dir, port| knotd(dir, port, 1, Some(key), &extra),
            |addr| {
                let name = name.clone();
                async move { ask(addr, &name, RecordType::SOA).await.is_ok() }
            },
        )
        .await;
        Self { daemon, zone: name }
    }

    /// Where it answers, UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr()
    }

    /// Replaces a primary's zone with `zone` (the same origin, a greater
    /// serial) and waits until it serves the new serial. It sends no NOTIFY.
    pub async fn replace_zone(&self, zone: &ZoneFile) {
        assert_eq!(zone.origin(), self.zone, "the zone this server serves");
        std::fs::write(self.daemon.dir().join(ZONE_FILE), zone.render())
            .expect("the zone file is rewritten");
        let reload = Command::new(KNOTC)
            .arg("-s")
            .arg(self.daemon.dir().join("knot.sock"))
            .args(["-b", "zone-reload", &self.zone])
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(RELOAD_TIMEOUT, reload)
            .await
            .unwrap_or_else(|_| panic!("knotc did not end within {RELOAD_TIMEOUT:?}"))
            .expect("knotc runs");
        assert!(
            output.status.success(),
            "knotc zone-reload failed: {}{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        crate::eventually(RELOAD_TIMEOUT, "Knot serves the new serial", || async {
            (soa_serial(self.addr(), &self.zone).await == Some(zone.serial())).then_some(())
        })
        .await;
    }

    /// Its process id (a benchmark reads its memory).
    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// Sends it one UPDATE of `zone` (see [`dns_tools::nsupdate`]), signed
    /// with `key` if given.
    pub async fn update(
        &self,
        zone: &str,
        key: Option<&TsigKey>,
        commands: &[&str],
    ) -> Result<(), String> {
        dns_tools::nsupdate(self.addr(), zone, key, commands).await
    }

    /// What knotd has logged, for a failing test's message.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// The `knotd` command for a server on 127.0.0.1:`port` with its files in
/// `dir`, knowing `key`, with `extra` configuration sections (remotes, ACLs,
/// zones).
fn knotd(dir: &Path, port: u16, workers: usize, key: Option<&TsigKey>, extra: &str) -> Command {
    let dir_text = dir.display();
    let mut config = format!(
        "server:\n  rundir: \"{dir_text}\"\n  listen: 127.0.0.1@{port}\n  \
         udp-workers: {workers}\n  tcp-workers: {workers}\n  background-workers: 1\n\
         database:\n  storage: \"{dir_text}\"\n\
         log:\n  - target: stderr\n    any: info\n\
         control:\n  listen: \"{dir_text}/knot.sock\"\n\
         template:\n  - id: default\n    storage: \"{dir_text}\"\n"
    );
    if let Some(key) = key {
        let _ = write!(
            config,
            "key:\n  - id: {}\n    algorithm: {ALGORITHM}\n    secret: {}\n",
            key.name(),
            key.secret()
        );
    }
    config.push_str(extra);
    let path = dir.join("knot.conf");
    std::fs::write(&path, config).expect("knot.conf is written");
    let mut command = Command::new(KNOTD);
    command.arg("-c").arg(path);
    command
}
