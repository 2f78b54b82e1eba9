//! BIND's command-line tools as clients: `nsupdate` sends RFC 2136
//! UPDATEs, `dig` sends NOTIFYs. Both sign with a TSIG key when given one.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use crate::tsig::TsigKey;

/// Where Debian's bind9-dnsutils puts them.
pub const NSUPDATE: &str = "/usr/bin/nsupdate";
/// See [`NSUPDATE`].
pub const DIG: &str = "/usr/bin/dig";
/// How long one tool run may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Whether `nsupdate` and `dig` are installed.
pub fn installed() -> bool {
    [NSUPDATE, DIG].iter().all(|p| Path::new(p).exists())
}

/// Sends one UPDATE of `zone` to `server` made of `commands` (nsupdate's
/// syntax: `update add NAME TTL TXT "..."`, `update delete NAME TXT`,
/// `prereq nxrrset NAME TXT`, ...), signed with `key` if given. `Err` holds
/// nsupdate's complaint, e.g. `update failed: REFUSED`.
pub async fn nsupdate(
    server: SocketAddr,
    zone: &str,
    key: Option<&TsigKey>,
    commands: &[&str],
) -> Result<(), String> {
    let mut script = format!("server {} {}\nzone {zone}\n", server.ip(), server.port());
    for command in commands {
        script.push_str(command);
        script.push('\n');
    }
    script.push_str("send\n");
    let mut nsupdate = Command::new(NSUPDATE);
    nsupdate.args(["-t", "5"]);
    if let Some(key) = key {
        nsupdate.arg("-y").arg(key.dig_arg());
    }
    let mut child = nsupdate
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("nsupdate starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(script.as_bytes())
        .await
        .expect("nsupdate reads its script");
    drop(stdin);
    let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("nsupdate did not end within {TIMEOUT:?}"))
        .expect("nsupdate runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .trim()
        .to_owned())
    }
}

/// Sends `server` a NOTIFY for `zone` (signed with `key` if given), as a
/// primary does after a change; the RCODE of its reply (`NOERROR`,
/// `REFUSED`, `NOTAUTH`, ...).
pub async fn notify(server: SocketAddr, zone: &str, key: Option<&TsigKey>) -> String {
    let mut dig = Command::new(DIG);
    dig.arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string()])
        .args([
            "+opcode=notify",
            "+norecurse",
            "+aaflag",
            "+tries=3",
            "+time=2",
        ]);
    if let Some(key) = key {
        dig.arg("-y").arg(key.dig_arg());
    }
    let output = tokio::time::timeout(TIMEOUT, dig.args([zone, "SOA"]).kill_on_drop(true).output())
        .await
        .unwrap_or_else(|_| panic!("dig did not end within {TIMEOUT:?}"))
        .expect("dig runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .split("status: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("dig's NOTIFY got no answer:\n{stdout}"))
        .to_owned()
}
