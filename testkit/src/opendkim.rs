//! A real OpenDKIM on a loopback port, signing from the tables a test wrote,
//! and Debian's `miltertest` as the MTA that passes a message through it.
//! Under `CI=true` a missing binary is a failure, never a silent skip.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::on_ci;
use crate::redis_server::free_port;

const OPENDKIM: &str = "/usr/sbin/opendkim";
const MILTERTEST: &str = "/usr/bin/miltertest";
/// How long opendkim may take to listen, and a message to pass through.
const TIMEOUT: Duration = Duration::from_secs(30);

/// What a test mails: `From: user@<domain>`, a subject and a one-line body.
pub struct TestMessage {
    /// The sender's domain, which picks the key from the SigningTable.
    pub from_domain: String,
}

impl TestMessage {
    /// The header fields, in order.
    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("From", format!("user@{}", self.from_domain)),
            ("To", "someone@receiver.example".to_owned()),
            ("Subject", "signed by the fleet".to_owned()),
        ]
    }

    /// The body, CRLF line ends.
    const BODY: &'static str = "Keys that reach the signers.\r\n";

    /// The whole message with `signature` (a DKIM-Signature header field
    /// value as the signer returned it) on top, as a verifier receives it.
    pub fn signed(&self, signature: &str) -> Vec<u8> {
        let mut message = format!("DKIM-Signature:{}\r\n", crlf(signature));
        for (name, value) in self.headers() {
            message.push_str(&format!("{name}: {value}\r\n"));
        }
        message.push_str("\r\n");
        message.push_str(Self::BODY);
        message.into_bytes()
    }

    /// The message as RFC 5322 text with CRLF line ends, unsigned.
    pub fn unsigned(&self) -> Vec<u8> {
        let mut message = String::new();
        for (name, value) in self.headers() {
            message.push_str(&format!("{name}: {value}\r\n"));
        }
        message.push_str("\r\n");
        message.push_str(Self::BODY);
        message.into_bytes()
    }
}

/// Folded lines with CRLF, whatever the signer folded with.
fn crlf(value: &str) -> String {
    value.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// An `opendkim` child process signing on 127.0.0.1, killed when dropped.
pub struct OpenDkim {
    port: u16,
    child: Child,
    dir: TempDir,
}

impl OpenDkim {
    /// Whether opendkim and miltertest are installed; fails under CI when not.
    pub fn available() -> bool {
        let missing: Vec<_> = [OPENDKIM, MILTERTEST]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        assert!(
            missing.is_empty() || !on_ci(),
            "CI=true but {missing:?} missing (apt-get install opendkim opendkim-tools miltertest)"
        );
        missing.is_empty()
    }

    /// Starts opendkim with `KeyTable refile:KEY_TABLE` and `SigningTable
    /// refile:SIGNING_TABLE`, signing with `algorithm` (`rsa-sha256`,
    /// `ed25519-sha256`). Key files may lie under a temporary directory:
    /// `RequireSafeKeys` is off. Canonicalization is relaxed: with simple
    /// headers, opendkim 2.11's Ed25519 signatures do not verify.
    pub async fn start(key_table: &Path, signing_table: &Path, algorithm: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port();
        let config = dir.path().join("opendkim.conf");
        std::fs::write(
            &config,
            format!(
                "Syslog no\nMode s\nBackground no\nSocket inet:{port}@127.0.0.1\n\
                 KeyTable refile:{}\nSigningTable refile:{}\nSignatureAlgorithm {algorithm}\n\
                 Canonicalization relaxed/relaxed\n\
                 RequireSafeKeys false\nPidFile {}\n",
                key_table.display(),
                signing_table.display(),
                dir.path().join("opendkim.pid").display(),
            ),
        )
        .expect("opendkim.conf is written");
        let child = Command::new(OPENDKIM)
            .arg("-f")
            .arg("-x")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("opendkim starts");
        let mut server = Self { port, child, dir };
        let deadline = Instant::now() + TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("opendkim exited ({status}) before listening on {port}");
            }
            assert!(
                Instant::now() < deadline,
                "opendkim did not listen within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }

    /// Its process id, for `kill -USR1` (a reload of its tables).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("opendkim runs")
    }

    /// Passes `message` through opendkim as an MTA would; the value of the
    /// DKIM-Signature it adds, or `None` when it adds none.
    pub async fn sign(&self, message: &TestMessage) -> Option<String> {
        let script = self
            .dir
            .path()
            .join(format!("sign-{}.lua", rand::random::<u32>()));
        std::fs::write(&script, self.script(message)).expect("the script is written");
        let run = Command::new(MILTERTEST)
            .arg("-s")
            .arg(&script)
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(TIMEOUT, run)
            .await
            .unwrap_or_else(|_| panic!("miltertest did not end within {TIMEOUT:?}: opendkim tempfailed? (an unsafe key, or the other algorithm's key)"))
            .expect("miltertest runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "miltertest failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let signature = stdout.split("\n--end--").next().unwrap_or_default();
        (!signature.starts_with("NO SIGNATURE")).then(|| signature.to_owned())
    }

    /// The milter conversation: no HELO (opendkim negotiates none), the
    /// connection, the queue id macro, the sender, headers, body, end.
    fn script(&self, message: &TestMessage) -> String {
        let mut lua = format!(
            "local conn = mt.connect(\"inet:{}@127.0.0.1\")\n\
             if conn == nil then error(\"cannot connect\") end\n\
             assert(mt.conninfo(conn, \"localhost\", \"127.0.0.1\") == nil)\n\
             assert(mt.macro(conn, SMFIC_MAIL, \"i\", \"TESTID\") == nil)\n\
             assert(mt.mailfrom(conn, \"user@{}\") == nil)\n",
            self.port, message.from_domain
        );
        for (name, value) in message.headers() {
            lua.push_str(&format!(
                "assert(mt.header(conn, \"{name}\", \"{value}\") == nil)\n"
            ));
        }
        // A message it will not sign is accepted after its headers; the
        // milter then expects nothing more of it.
        lua.push_str(&format!(
            "assert(mt.eoh(conn) == nil)\n\
             if mt.getreply(conn) ~= SMFIR_CONTINUE then\n\
               io.write(\"NO SIGNATURE\")\n\
             else\n\
               assert(mt.bodystring(conn, \"{}\") == nil)\n\
               assert(mt.eom(conn) == nil)\n\
               if mt.eom_check(conn, MT_HDRINSERT, \"DKIM-Signature\") then\n\
                 io.write(mt.getheader(conn, \"DKIM-Signature\", 0))\n\
               else\n\
                 io.write(\"NO SIGNATURE\")\n\
               end\n\
             end\n\
             io.write(\"\\n--end--\\n\")\n\
             mt.disconnect(conn)\n",
            TestMessage::BODY.replace("\r\n", "\\r\\n")
        ));
        lua
    }
}
