//! How the agent reaches Signet: the feed ships private keys, so `http://`
//! goes only to a loopback address unless `--insecure-http` says otherwise,
//! and a server's certificate is checked against the system's roots, or
//! against `--ca-file` alone.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use reqwest::redirect::Policy;
use reqwest::{Certificate, Url};

/// Longest one poll may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest feed body read by default: some 100,000 keys.
pub const DEFAULT_MAX_FEED_BYTES: u64 = 64 * 1024 * 1024;

/// How to reach the feed and how much of it to read.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Trust only the certificates of this PEM file, not the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Allow `http://` to a host that is not a loopback address.
    pub insecure_http: bool,
    /// The largest feed body read; a larger one is refused whole.
    pub max_feed_bytes: u64,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            ca_file: None,
            insecure_http: false,
            max_feed_bytes: DEFAULT_MAX_FEED_BYTES,
        }
    }
}

impl Transport {
    /// An HTTP client for `url` (Signet's), once the URL is one the feed
    /// may travel to. Redirects are not followed: one could lead from
    /// `https://` to clear text.
    pub fn client(&self, url: &Url) -> anyhow::Result<reqwest::Client> {
        self.check(url)?;
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(Policy::none())
            .use_rustls_tls()
            .user_agent(concat!("signet-fleet-sync/", env!("CARGO_PKG_VERSION")));
        if let Some(file) = &self.ca_file {
            builder = builder.tls_built_in_root_certs(false);
            for certificate in certificates(file)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(builder.build()?)
    }

    fn check(&self, url: &Url) -> anyhow::Result<()> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.insecure_http || is_loopback(url) => Ok(()),
            "http" => anyhow::bail!(
                "refusing {url}: the feed carries private keys and http:// sends them in clear \
                 text; use https://, or --insecure-http if the network between is trusted"
            ),
            other => anyhow::bail!("{url}: {other}:// is not http:// or https://"),
        }
    }
}

/// Whether the URL names a loopback address (or `localhost`).
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().map_or_else(
        |_| host.eq_ignore_ascii_case("localhost"),
        |ip| ip.is_loopback(),
    )
}

/// Every certificate of a PEM file; at least one.
fn certificates(file: &Path) -> anyhow::Result<Vec<Certificate>> {
    let pem =
        std::fs::read(file).with_context(|| format!("cannot read --ca-file {}", file.display()))?;
    let certificates = Certificate::from_pem_bundle(&pem)
        .with_context(|| format!("--ca-file {} is not PEM", file.display()))?;
    anyhow::ensure!(
        !certificates.is_empty(),
        "--ca-file {} holds no certificate",
        file.display()
    );
    Ok(certificates)
}

/// Parses a byte count: a number, optionally followed by `KiB`, `MiB` or
/// `GiB` (`64MiB`).
pub fn byte_count(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let scale = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => {
            return Err(format!(
                "`{s}` is not a size: a number of bytes, or with KiB, MiB or GiB"
            ))
        }
    };
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size: a number of bytes, or with KiB, MiB or GiB"))?;
    count
        .checked_mul(scale)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` must be above 0 and below 16 EiB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str, insecure_http: bool) -> bool {
        let transport = Transport {
            insecure_http,
            ..Transport::default()
        };
        transport.check(&Url::parse(url).unwrap()).is_ok()
    }

    #[test]
    fn clear_text_goes_only_to_a_loopback_address_unless_allowed() {
        for url in [
            "https://signet.example",
            "http://127.0.0.1:8080",
            "http://127.0.0.9",
            "http://[::1]:80",
            "http://localhost:8080",
        ] {
            assert!(allowed(url, false), "{url}");
        }
        for url in [
            "http://signet.example",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
        ] {
            assert!(!allowed(url, false), "{url}");
        }
        assert!(allowed("http://signet.example", true));
        assert!(!allowed("ftp://signet.example", true));
    }

    #[test]
    fn a_size_is_a_number_of_bytes_or_of_binary_units() {
        assert_eq!(byte_count("1024"), Ok(1024));
        assert_eq!(byte_count("64MiB"), Ok(64 << 20));
        assert_eq!(byte_count("2 GiB"), Ok(2 << 30));
        for bad in ["", "0", "MiB", "12MB", "-1", "99999999999GiB"] {
            assert!(byte_count(bad).is_err(), "{bad}");
        }
    }
}
