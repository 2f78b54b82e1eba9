//! The child processes: the release `signet` (built first), its CLI, and
//! the hello-world baseline. Each is killed when its handle is dropped,
//! also when the run fails or is interrupted.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use tokio::process::{Child, Command};

use crate::backend::Database;

/// How long a server may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace root: this crate's parent directory.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ sits in the workspace")
        .to_path_buf()
}

/// The release `signet` binary: `given`, or built now with
/// `cargo build --release -p signet-api --bin signet`.
pub async fn signet_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("building: cargo build --release -p signet-api --bin signet");
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "signet-api", "--bin", "signet"])
        .current_dir(workspace())
        .status()
        .await
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("the release build of signet failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace().join("target"), PathBuf::from);
    Ok(target.join("release").join("signet"))
}

/// A free loopback port (bound once and released).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// How to run `signet` on one database: its binary, database, master key
/// and a directory for its logs.
pub struct Signet<'a> {
    /// The release binary.
    pub bin: &'a Path,
    /// The database.
    pub database: &'a Database,
    /// Base64 of the master key.
    pub master_key: &'a str,
    /// Where server logs go.
    pub log_dir: &'a Path,
}

impl Signet<'_> {
    /// `signet ARGS` with only this run's settings from the environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.bin);
        for (name, _) in std::env::vars() {
            if name.starts_with("SIGNET_") {
                command.env_remove(name);
            }
        }
        command
            .args(args)
            .env("SIGNET_DATABASE_URL", &self.database.url)
            .env("SIGNET_MASTER_KEY", self.master_key)
            .kill_on_drop(true);
        command
    }

    /// Runs an administration command and reads its `--json` output.
    pub async fn admin(&self, args: &[&str]) -> anyhow::Result<serde_json::Value> {
        let out = self.command(args).stdin(Stdio::null()).output().await?;
        if !out.status.success() {
            bail!(
                "signet {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    }

    /// Creates a tenant; returns its id and its API key.
    pub async fn create_tenant(&self, name: &str) -> anyhow::Result<(i64, String)> {
        let out = self.admin(&["tenant", "create", name, "--json"]).await?;
        let id = out["tenant_id"].as_i64().context("tenant_id")?;
        let key = out["api_key"].as_str().context("api_key")?.to_owned();
        Ok((id, key))
    }

    /// Starts `signet serve` with rate limits, the per-address connection
    /// cap and the background DNS re-check off (they would limit or disturb
    /// the load generator, not measure the server), and waits for `/readyz`.
    pub async fn serve(&self) -> anyhow::Result<Server> {
        self.serve_with(&UNLIMITED).await
    }

    /// [`Self::serve`] with the key pool off, so every create generates its
    /// key: the rate a steady load of creates gets once the pool is drained.
    pub async fn serve_unpooled(&self) -> anyhow::Result<Server> {
        let mut settings = UNLIMITED.to_vec();
        settings.push(("SIGNET_KEY_POOL", "off"));
        self.serve_with(&settings).await
    }

    /// Starts `signet serve` with these settings and waits for `/readyz`.
    pub async fn serve_with(&self, settings: &[(&str, &str)]) -> anyhow::Result<Server> {
        let port = free_port()?;
        let log = self.log_dir.join(format!("signet-{port}.log"));
        let mut command = self.command(&["serve"]);
        command.env("SIGNET_LISTEN", format!("127.0.0.1:{port}"));
        command.envs(settings.iter().copied());
        Server::start(command, port, "/readyz", log).await
    }
}

/// Settings that would limit or disturb the load generator rather than
/// measure the server.
const UNLIMITED: [(&str, &str); 3] = [
    ("SIGNET_RATE_LIMIT_CAPACITY", "0"),
    ("SIGNET_MAX_CONNECTIONS_PER_IP", "0"),
    ("SIGNET_DNS_RECHECK_INTERVAL", "0"),
];

/// Starts the hello-world baseline (this binary's `hello` command).
pub async fn hello(log_dir: &Path) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["hello", "--listen", &format!("127.0.0.1:{port}")])
        .kill_on_drop(true);
    Server::start(command, port, "/", log_dir.join("hello.log")).await
}

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

impl Server {
    async fn start(
        mut command: Command,
        port: u16,
        ready_path: &str,
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .spawn()
            .context("cannot start the server")?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait()? {
                bail!("server exited ({status}):\n{}", tail(&log));
            }
            let answer = client.get(format!("{base}{ready_path}")).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return Ok(Self { child, base, log });
            }
            if Instant::now() > deadline {
                bail!("server not ready within {READY_TIMEOUT:?}:\n{}", tail(&log));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id, to read its memory from `/proc`.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the server and reports if it died during the run.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("server died ({status}):\n{}", tail(&self.log));
        }
        self.child.kill().await?;
        Ok(())
    }
}

/// The last lines of a log, for an error message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
