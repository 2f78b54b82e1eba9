//! DNS status of a key's record, and how a TXT answer is judged.

use chrono::{DateTime, Utc};

use crate::algorithm::KeyAlgorithm;
use crate::crypto::PublicKey;

/// Whether a key's record is published correctly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsStatus {
    /// Never checked, or the last lookup failed.
    #[default]
    Unknown,
    /// A TXT record at the key's name carries its public key.
    Valid,
    /// No TXT record there carries the key.
    Invalid,
}

impl DnsStatus {
    /// `valid`, `invalid` or `unknown`, as Mailgun shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Valid => "valid",
            Self::Invalid => "invalid",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Self {
        match s {
            "valid" => Self::Valid,
            "invalid" => Self::Invalid,
            _ => Self::Unknown,
        }
    }
}

/// The outcome of the last check of a key's record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DnsCheck {
    /// The verdict.
    pub status: DnsStatus,
    /// The TXT values seen, each record's strings joined.
    pub seen: Vec<String>,
    /// When the lookup ran; `None` if never.
    pub checked_at: Option<DateTime<Utc>>,
}

/// What a resolver answered for a TXT query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TxtAnswer {
    /// TXT records, each already joined from its character-strings.
    Records(Vec<String>),
    /// The name exists but holds no TXT record.
    NoRecords,
    /// The name does not exist.
    NoSuchName,
    /// The lookup failed (timeout, SERVFAIL); says nothing about the record.
    Failed(String),
}

impl TxtAnswer {
    /// Judges the answer against the key that should be published.
    pub fn check(
        self,
        algorithm: KeyAlgorithm,
        public_key: &PublicKey,
        now: DateTime<Utc>,
    ) -> DnsCheck {
        let (status, seen) = match self {
            TxtAnswer::Records(records) => {
                let status = if records.iter().any(|r| publishes(r, algorithm, public_key)) {
                    DnsStatus::Valid
                } else {
                    DnsStatus::Invalid
                };
                (status, records)
            }
            TxtAnswer::NoRecords | TxtAnswer::NoSuchName => (DnsStatus::Invalid, Vec::new()),
            TxtAnswer::Failed(_) => (DnsStatus::Unknown, Vec::new()),
        };
        DnsCheck {
            status,
            seen,
            checked_at: Some(now),
        }
    }
}

/// Whether a TXT value is a DKIM key record carrying this public key: a tag
/// list (RFC 6376 3.2) in any order, `v=DKIM1` optional and first if present,
/// `k=` naming the key's algorithm (absent means `rsa`), and `p=` equal to the
/// key once whitespace is removed.
pub fn publishes(record: &str, algorithm: KeyAlgorithm, public_key: &PublicKey) -> bool {
    let mut k = KeyAlgorithm::Rsa.as_str().to_owned();
    let mut p = None;
    for (i, tag) in record.split(';').enumerate() {
        let tag = tag.trim();
        if tag.is_empty() {
            continue;
        }
        let Some((name, value)) = tag.split_once('=') else {
            return false;
        };
        let value: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        match name.trim() {
            "v" if i != 0 || value != "DKIM1" => return false,
            "k" => k = value,
            "p" => p = Some(value),
            _ => {}
        }
    }
    k.eq_ignore_ascii_case(algorithm.as_str())
        && matches!(p, Some(p) if !p.is_empty() && p == public_key.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: KeyAlgorithm = KeyAlgorithm::Rsa;

    fn key() -> PublicKey {
        PublicKey("MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkey".into())
    }

    #[test]
    fn the_vendor_form_matches() {
        assert!(publishes(&format!("k=rsa; p={}", key()), RSA, &key()));
    }

    #[test]
    fn tags_in_any_order_with_spaces_match() {
        let spaced = format!("v=DKIM1 ; p = {} ;k=rsa;", key());
        assert!(publishes(&spaced, RSA, &key()));
        assert!(publishes(&format!("p={}; t=s", key()), RSA, &key()));
    }

    #[test]
    fn whitespace_inside_p_is_ignored() {
        let k = key();
        let (a, b) = k.0.split_at(10);
        assert!(publishes(&format!("k=rsa; p={a} \t{b}"), RSA, &key()));
    }

    #[test]
    fn another_key_or_a_revoked_key_does_not_match() {
        assert!(!publishes("k=rsa; p=MIGfOTHER", RSA, &key()));
        assert!(!publishes("v=DKIM1; k=rsa; p=", RSA, &key()));
    }

    #[test]
    fn a_wrong_key_type_or_version_does_not_match() {
        assert!(!publishes(&format!("k=ed25519; p={}", key()), RSA, &key()));
        assert!(!publishes(&format!("v=DKIM2; p={}", key()), RSA, &key()));
        assert!(!publishes(
            &format!("k=rsa; v=DKIM1; p={}", key()),
            RSA,
            &key()
        ));
    }

    #[test]
    fn one_matching_record_among_several_is_valid() {
        let answer = TxtAnswer::Records(vec!["v=spf1 -all".into(), format!("p={}", key())]);
        let check = answer.check(RSA, &key(), Utc::now());
        assert_eq!(check.status, DnsStatus::Valid);
        assert_eq!(check.seen.len(), 2);
    }

    #[test]
    fn missing_names_are_invalid_and_failures_unknown() {
        assert_eq!(
            TxtAnswer::NoSuchName.check(RSA, &key(), Utc::now()).status,
            DnsStatus::Invalid
        );
        assert_eq!(
            TxtAnswer::NoRecords.check(RSA, &key(), Utc::now()).status,
            DnsStatus::Invalid
        );
        let failed = TxtAnswer::Failed("timeout".into()).check(RSA, &key(), Utc::now());
        assert_eq!(failed.status, DnsStatus::Unknown);
        assert!(failed.checked_at.is_some());
    }

    #[test]
    fn an_ed25519_key_needs_k_ed25519() {
        let ed = PublicKey("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".into());
        let ed25519 = KeyAlgorithm::Ed25519;
        assert!(publishes(
            &format!("v=DKIM1; k=ed25519; p={ed}"),
            ed25519,
            &ed
        ));
        assert!(publishes(&format!("k=Ed25519; p={ed}"), ed25519, &ed));
        assert!(!publishes(&format!("p={ed}"), ed25519, &ed));
        assert!(!publishes(&format!("k=rsa; p={ed}"), ed25519, &ed));
    }
}
