//! The core's one error type. Each dialect turns it into its own wire shape.

use std::fmt;

/// Result of a core operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a value failed to parse, without naming the field it came from.
///
/// The reason reads as the end of a sentence whose subject is the field, so a
/// dialect can say `domain must be from 1 to 200 characters in length`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// What kind of thing was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A DKIM key.
    Key,
    /// A sending domain.
    Domain,
    /// A tenant.
    Tenant,
    /// An API key.
    ApiKey,
    /// A fleet.
    Fleet,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Key => "DKIM key",
            Self::Domain => "domain",
            Self::Tenant => "tenant",
            Self::ApiKey => "API key",
            Self::Fleet => "fleet",
        })
    }
}

/// A request that is well-formed but breaks a rule of the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// Deleting this key would leave its authority with no active key.
    #[error("must have at least one active domain key")]
    LastActiveKey,
    /// Activation needs the key's DNS record to be published and matching.
    #[error("{}", dns_not_valid_message(.name, .found))]
    DnsNotValid {
        /// The record name that was looked up.
        name: String,
        /// The TXT values found there.
        found: Vec<String>,
    },
    /// Activation needs a DNS answer, and the lookup failed (timeout, SERVFAIL).
    #[error("DNS record {0} could not be looked up; try again later")]
    DnsUnanswered(String),
    /// A fleet reads only domains its tenant has (a sending domain, or a
    /// key signing for it): never another tenant's names.
    #[error("the tenant has no domain or key named {}: a fleet reads only its own tenant's domains", first_names(.0))]
    NotTenantsDomains(Vec<String>),
    /// `self=false` needs a root domain registered by the same tenant.
    #[error("no root domain of {0} is registered to take DKIM authority")]
    NoRootDomain(String),
    /// A rotation waits for its pending key's record to be published.
    #[error("a pending key is already waiting: publish the DNS record {0} and verify it")]
    PendingKeyWaits(String),
    /// Every selector the template makes today is taken.
    #[error("no selector is left for selector_template {0} today: change selector_template")]
    SelectorsExhausted(String),
    /// A delegated authority's next key takes the idle selector of its
    /// pair, and a key still served there holds it.
    #[error("the key at {selector} is still {stage}{}", .until.as_ref().map(|t| format!(" until {t}")).unwrap_or_default())]
    SelectorHeld {
        /// The selector.
        selector: String,
        /// The stage of the key holding it (`retiring`, `active`).
        stage: &'static str,
        /// When a retiring key retires, RFC 3339.
        until: Option<String>,
    },
    /// Delegated records need a zone Signet answers for.
    #[error("Automatic Sender Security needs a DNS zone, and this Signet serves none (SIGNET_DNS_ZONE is not set)")]
    NoDnsZone,
    /// A delegated authority's selectors are its pairs (`pdk1`, `pdk2`).
    #[error("a domain with Automatic Sender Security takes the selectors pdk1 and pdk2; no other can be chosen")]
    DelegatedSelectorFixed,
    /// A delegated domain is its own DKIM authority.
    #[error("a domain with Automatic Sender Security is its own DKIM authority")]
    DelegatedOwnAuthority,
    /// Automatic rotation cannot run more often than the configured minimum.
    #[error("rotation_interval must be at least {0}")]
    RotationTooFrequent(String),
    /// The key is smaller than the tenant's `min_rsa_bits`. Dialects word it
    /// for the field the size or the key came in.
    #[error("the key has {bits} bits, below this account's minimum of {min} (min_rsa_bits)")]
    WeakKey {
        /// The key's size.
        bits: u32,
        /// The tenant's minimum.
        min: u32,
        /// Sent by the client (`true`) rather than to be generated.
        imported: bool,
    },
}

/// The first few of `names`, and how many more: an answer stays short
/// whatever the list sent.
fn first_names(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let shown = names[..names.len().min(SHOWN)].join(", ");
    match names.len().saturating_sub(SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn dns_not_valid_message(name: &str, found: &[String]) -> String {
    if found.is_empty() {
        format!("DNS record {name} is not valid: no TXT record found")
    } else {
        format!(
            "DNS record {name} is not valid: found {}",
            found
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// What can go wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist for this tenant.
    #[error("{0} not found")]
    NotFound(Entity),
    /// A uniqueness rule would be broken (duplicate selector, domain or tenant name).
    #[error("{0} already exists")]
    Conflict(Entity),
    /// The request breaks a rule of the model.
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    /// A backing service (database, DNS) cannot be reached right now.
    #[error("service unavailable")]
    Unavailable(#[source] Cause),
    /// Too much work is queued (key generation); the caller may try again
    /// after `retry_after`.
    #[error("busy: {what}; retry after {}s", .retry_after.as_secs())]
    Busy {
        /// What is busy, for the log.
        what: &'static str,
        /// When a retry has a fair chance.
        retry_after: std::time::Duration,
    },
    /// A bug or an unexpected failure; the cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl Error {
    /// An internal error caused by `cause` (an error, or a message).
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }

    /// A backing service's failure, caused by `cause`.
    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        Self::Unavailable(cause.into())
    }
}

/// Why a backing service or the code failed: kept whole rather than turned
/// into text, so a log can show the chain down to the driver's own error.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Shows an error with its sources, `outer: inner: innermost`, for logs.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Refused;

    #[derive(Debug, thiserror::Error)]
    #[error("database")]
    struct Database(#[source] Refused);

    #[test]
    fn an_internal_error_keeps_its_whole_cause_chain() {
        let e = Error::internal(Database(Refused));
        assert_eq!(e.to_string(), "internal error");
        assert_eq!(
            Chain(&e).to_string(),
            "internal error: database: connection refused"
        );
    }

    #[test]
    fn a_refusal_of_many_domains_names_the_first_five_and_counts_the_rest() {
        let names: Vec<String> = (1..=7).map(|n| format!("d{n}.example")).collect();
        assert_eq!(
            RuleViolation::NotTenantsDomains(names).to_string(),
            "the tenant has no domain or key named d1.example, d2.example, d3.example, \
             d4.example, d5.example and 2 more: a fleet reads only its own tenant's domains"
        );
    }

    #[test]
    fn a_message_can_be_the_cause() {
        let e = Error::unavailable("database did not answer within 5s");
        assert_eq!(
            Chain(&e).to_string(),
            "service unavailable: database did not answer within 5s"
        );
    }
}
