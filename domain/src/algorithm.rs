//! What kind of key a DKIM key is, and where it stands in a rotation.

use std::fmt;
use std::str::FromStr;

use crate::error::InvalidValue;

/// A DKIM signing algorithm (the record's `k=` tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KeyAlgorithm {
    /// RSA (`rsa-sha256`); every key made before Ed25519 existed.
    #[default]
    Rsa,
    /// Ed25519 (`ed25519-sha256`, RFC 8463).
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order they are listed to clients.
    pub const ALL: [KeyAlgorithm; 2] = [Self::Rsa, Self::Ed25519];

    /// The wire and DNS name: `rsa` or `ed25519`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa => "rsa",
            Self::Ed25519 => "ed25519",
        }
    }
}

impl FromStr for KeyAlgorithm {
    type Err = InvalidValue;

    /// Reads `rsa` or `ed25519`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| InvalidValue("must be one of: rsa, ed25519".into()))
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a key stands in its domain's rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KeyStage {
    /// Made by a rotation; its record must be published; it does not sign yet.
    Pending,
    /// The key that signs; every key made outside a rotation starts here.
    #[default]
    Active,
    /// Replaced; its record stays published for mail still in flight.
    Retiring,
    /// Its record may be removed.
    Retired,
}

impl KeyStage {
    /// Every stage, in lifecycle order.
    pub const ALL: [KeyStage; 4] = [Self::Pending, Self::Active, Self::Retiring, Self::Retired];

    /// The wire name: `pending`, `active`, `retiring` or `retired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
        }
    }

    /// Whether the key's DNS record must stay published.
    pub fn needs_record(self) -> bool {
        !matches!(self, Self::Retired)
    }
}

impl FromStr for KeyStage {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                InvalidValue("must be one of: pending, active, retiring, retired".into())
            })
    }
}

impl fmt::Display for KeyStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_read_in_any_case_and_print_lower_case() {
        assert_eq!("ED25519".parse::<KeyAlgorithm>(), Ok(KeyAlgorithm::Ed25519));
        assert_eq!(KeyAlgorithm::Rsa.to_string(), "rsa");
    }

    #[test]
    fn an_unknown_algorithm_is_rejected() {
        assert!("dsa".parse::<KeyAlgorithm>().is_err());
    }

    #[test]
    fn every_stage_round_trips_through_its_name() {
        for stage in KeyStage::ALL {
            assert_eq!(stage.as_str().parse::<KeyStage>(), Ok(stage));
        }
    }

    #[test]
    fn only_a_retired_key_may_lose_its_record() {
        assert!(KeyStage::Retiring.needs_record());
        assert!(!KeyStage::Retired.needs_record());
    }
}
