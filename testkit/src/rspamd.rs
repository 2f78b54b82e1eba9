//! A real rspamd on loopback ports, signing from Redis hashes, and `rspamc`
//! as the MTA that hands it a message. The first start on a fresh
//! database directory compiles rspamd's regular expressions (about 45 s);
//! the directory is shared across runs so later starts take seconds.
//! Under `CI=true` a missing binary is a failure, never a silent skip.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::time::Instant;

use crate::on_ci;
use crate::opendkim::TestMessage;
use crate::redis_server::free_port;

const RSPAMD: &str = "/usr/bin/rspamd";
const RSPAMC: &str = "/usr/bin/rspamc";
/// The variable naming the database directory kept across runs.
pub const DB_DIR_VAR: &str = "SIGNET_TEST_RSPAMD_DBDIR";
/// Its default: outside the repository, kept by the machine between runs.
const DEFAULT_DB_DIR: &str = "/var/tmp/signet-rspamd-db";
/// How long a scan may take: the first one waits for the compilation.
const SCAN_TIMEOUT: Duration = Duration::from_secs(180);

/// One rspamd at a time: they share the database directory.
fn one_at_a_time() -> std::sync::Arc<Mutex<()>> {
    static LOCK: OnceLock<std::sync::Arc<Mutex<()>>> = OnceLock::new();
    LOCK.get_or_init(Default::default).clone()
}

/// Where rspamd keeps what it compiled.
pub fn db_dir() -> PathBuf {
    let dir = std::env::var_os(DB_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DB_DIR));
    std::fs::create_dir_all(&dir).expect("the rspamd database directory exists");
    dir
}

/// An `rspamd` signing from Redis, its process group killed when dropped.
pub struct Rspamd {
    port: u16,
    child: Child,
    _dir: TempDir,
    _turn: OwnedMutexGuard<()>,
}

impl Rspamd {
    /// Whether rspamd and rspamc are installed; fails under CI when not.
    pub fn available() -> bool {
        let missing: Vec<_> = [RSPAMD, RSPAMC]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        assert!(
            missing.is_empty() || !on_ci(),
            "CI=true but {missing:?} missing (apt-get install rspamd)"
        );
        missing.is_empty()
    }

    /// Starts rspamd with `dkim_signing` reading the hashes `key_prefix`
    /// and `selector_prefix` on the Redis at `server` (`HOST:PORT`).
    pub async fn start(server: &str, key_prefix: &str, selector_prefix: &str) -> Self {
        let turn = one_at_a_time().lock_owned().await;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let local = dir.path();
        let port = free_port();
        std::fs::create_dir_all(local.join("local.d")).expect("local.d exists");
        let write = |name: &str, content: String| {
            std::fs::write(local.join("local.d").join(name), content)
                .expect("rspamd's local config is written")
        };
        write("redis.conf", format!("servers = \"{server}\";\n"));
        // try_fallback stays true: false makes rspamd report "dkim unconfigured".
        write(
            "dkim_signing.conf",
            format!(
                "use_redis = true;\nkey_prefix = \"{key_prefix}\";\n\
                 selector_prefix = \"{selector_prefix}\";\nallow_username_mismatch = true;\n"
            ),
        );
        write(
            "worker-normal.inc",
            format!("bind_socket = \"127.0.0.1:{port}\";\n"),
        );
        for worker in ["controller", "proxy"] {
            write(
                &format!("worker-{worker}.inc"),
                format!("bind_socket = \"127.0.0.1:{}\";\n", free_port()),
            );
        }
        let run = local.join("run");
        std::fs::create_dir_all(&run).expect("the run directory exists");
        let var = |name: &str, value: &Path| format!("{name}={}", value.display());
        let child = Command::new(RSPAMD)
            .args(["-f", "-i", "-u", "root", "-g", "root"])
            .args(["-c", "/etc/rspamd/rspamd.conf"])
            .arg("--var")
            .arg(var("LOCAL_CONFDIR", local))
            .arg("--var")
            .arg(var("DBDIR", &db_dir()))
            .arg("--var")
            .arg(var("RUNDIR", &run))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("rspamd starts");
        let mut rspamd = Self {
            port,
            child,
            _dir: dir,
            _turn: turn,
        };
        let deadline = Instant::now() + SCAN_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Ok(Some(status)) = rspamd.child.try_wait() {
                panic!("rspamd exited ({status}) before listening on {port}");
            }
            assert!(
                Instant::now() < deadline,
                "rspamd did not listen within {SCAN_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        rspamd
    }

    /// Scans `message` as an authenticated user's (what makes rspamd sign);
    /// the value of the DKIM-Signature it adds, or `None` when it adds none.
    pub async fn sign(&self, message: &TestMessage) -> Option<String> {
        let mut rspamc = Command::new(RSPAMC)
            .args(["-h", &format!("127.0.0.1:{}", self.port)])
            .args(["-t", &SCAN_TIMEOUT.as_secs().to_string()])
            .args(["--mime", "--user", "u"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("rspamc starts");
        let mut stdin = rspamc.stdin.take().expect("piped stdin");
        tokio::io::AsyncWriteExt::write_all(&mut stdin, &message.unsigned())
            .await
            .expect("the message is handed over");
        drop(stdin);
        let output = tokio::time::timeout(SCAN_TIMEOUT, rspamc.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("rspamc did not end within {SCAN_TIMEOUT:?}"))
            .expect("rspamc runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "rspamc failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        header_value(&stdout, "DKIM-Signature")
    }
}

impl Drop for Rspamd {
    /// Kills the main process and its workers, which would keep the ports.
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// The value of header field `name` (unfolded lines kept) in `message`'s
/// header block.
fn header_value(message: &str, name: &str) -> Option<String> {
    let head = message.split("\n\n").next()?;
    let mut lines = head.lines().skip_while(|line| {
        !line
            .get(..name.len() + 1)
            .is_some_and(|start| start.eq_ignore_ascii_case(&format!("{name}:")))
    });
    let first = lines.next()?;
    let mut value = first[name.len() + 1..].to_owned();
    for line in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        value.push('\n');
        value.push_str(line);
    }
    Some(value)
}
