//! The settings of Signet's authoritative DNS zone (`SIGNET_DNS_*` beside
//! the resolver's): where it answers, for which zone, with which name
//! servers, TTL, transfer key and secondaries to notify.

use std::net::SocketAddr;

use signet_domain::tsig::TsigKey;
use signet_domain::DomainName;

use super::Sources;

/// The TTL of served records when none is set.
pub const DEFAULT_DNS_TTL: u32 = 300;

/// UDP responses a second per source network when none is set (BIND's
/// and Knot's usual order of magnitude for an authoritative server).
pub const DEFAULT_DNS_RRL_RATE: u32 = 50;

/// Every how many responses over the rate one slips, when not set.
pub const DEFAULT_DNS_RRL_SLIP: u32 = 2;

/// Signet's DNS zone, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsZoneSettings {
    /// Where to answer, UDP and TCP on the same port; off when `None`.
    pub listen: Option<SocketAddr>,
    /// The zone Signet is authoritative for, such as `dkim.signet.example`:
    /// the targets of delegated domains' CNAMEs.
    pub zone: Option<DomainName>,
    /// The zone's NS names; `ns1.<zone>` when empty.
    pub nameservers: Vec<DomainName>,
    /// The TTL of served records.
    pub ttl: u32,
    /// The key zone transfers (and NOTIFYs) are signed with; transfers are
    /// refused without one.
    pub tsig_key: Option<TsigKey>,
    /// Secondaries sent a signed NOTIFY on every change.
    pub notify: Vec<SocketAddr>,
    /// UDP responses a second per source network (a /24 or /56); 0 turns
    /// response-rate limiting off.
    pub rrl_rate: u32,
    /// Every how many responses over the rate one goes out empty and
    /// truncated (so a real client retries over TCP); 0 drops them all.
    pub rrl_slip: u32,
}

impl Default for DnsZoneSettings {
    fn default() -> Self {
        Self {
            listen: None,
            zone: None,
            nameservers: Vec::new(),
            ttl: DEFAULT_DNS_TTL,
            tsig_key: None,
            notify: Vec::new(),
            rrl_rate: DEFAULT_DNS_RRL_RATE,
            rrl_slip: DEFAULT_DNS_RRL_SLIP,
        }
    }
}

/// The zone's settings the sources give; serving needs a zone.
pub fn load(s: &Sources) -> anyhow::Result<DnsZoneSettings> {
    let d = DnsZoneSettings::default();
    let zone = s.get("dns_zone", domain)?;
    let listen = s.get("dns_listen", super::compose::address)?;
    if listen.is_some() && zone.is_none() {
        anyhow::bail!("SIGNET_DNS_LISTEN needs SIGNET_DNS_ZONE, the zone to answer for");
    }
    Ok(DnsZoneSettings {
        listen,
        zone,
        nameservers: s.get("dns_nameservers", domains)?.unwrap_or(d.nameservers),
        ttl: s.get("dns_ttl", ttl)?.unwrap_or(d.ttl),
        tsig_key: s.get("dns_tsig_key", |v| TsigKey::parse(v).map_err(|e| e.0))?,
        notify: s
            .get("dns_notify", super::compose::addresses)?
            .unwrap_or(d.notify),
        rrl_rate: s.get("dns_rrl_rate", small)?.unwrap_or(d.rrl_rate),
        rrl_slip: s.get("dns_rrl_slip", small)?.unwrap_or(d.rrl_slip),
    })
}

fn domain(s: &str) -> Result<DomainName, String> {
    DomainName::parse(s.trim().trim_end_matches('.')).map_err(|e| format!("`{s}` {e}"))
}

/// Names separated by commas.
fn domains(s: &str) -> Result<Vec<DomainName>, String> {
    s.split(',').map(domain).collect()
}

/// A TTL from 0 to a week, in seconds.
fn ttl(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n <= 604_800 => Ok(n),
        _ => Err(format!("`{s}` is not a TTL in seconds from 0 to 604800")),
    }
}

/// A whole number from 0 to a million.
fn small(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n <= 1_000_000 => Ok(n),
        _ => Err(format!("`{s}` is not a whole number from 0 to 1000000")),
    }
}
