//! RSA key sizes, and what to generate: an RSA size or Ed25519.

use std::fmt;

use crate::algorithm::KeyAlgorithm;
use crate::error::InvalidValue;

/// An RSA modulus size in bits, from 512 to 8192.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeySize(u32);

impl KeySize {
    /// Smallest size accepted.
    pub const MIN: u32 = 512;
    /// Largest size generated or imported.
    pub const MAX: u32 = 8192;
    /// 2048 bits: what today's large receivers expect.
    pub const DEFAULT: KeySize = KeySize(2048);

    /// The size in bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for KeySize {
    type Error = InvalidValue;

    fn try_from(bits: u32) -> Result<Self, Self::Error> {
        if bits < Self::MIN {
            Err(InvalidValue(format!(
                "must be a positive integer greater than or equal to {}",
                Self::MIN
            )))
        } else if bits > Self::MAX {
            Err(InvalidValue(format!(
                "must be less than or equal to {}",
                Self::MAX
            )))
        } else {
            Ok(Self(bits))
        }
    }
}

impl TryFrom<i64> for KeySize {
    type Error = InvalidValue;

    fn try_from(bits: i64) -> Result<Self, Self::Error> {
        let bits = u32::try_from(bits.max(0)).unwrap_or(u32::MAX);
        Self::try_from(bits)
    }
}

impl fmt::Display for KeySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What kind of key to generate, or what kind a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// RSA with this modulus size.
    Rsa(KeySize),
    /// Ed25519 (RFC 8463); its size is fixed.
    Ed25519,
}

impl KeySpec {
    /// The size an Ed25519 key reports (GreenArrow's `key_bits`, the stored
    /// `bits`): the bit length of its 32-byte public key.
    pub const ED25519_BITS: u32 = 256;

    /// The spec of a key of this algorithm and size, as stored or sent by a
    /// client: an RSA size in range, or exactly 256 bits for Ed25519.
    pub fn new(algorithm: KeyAlgorithm, bits: u32) -> Result<Self, InvalidValue> {
        match algorithm {
            KeyAlgorithm::Rsa => KeySize::try_from(bits).map(Self::Rsa),
            KeyAlgorithm::Ed25519 if bits == Self::ED25519_BITS => Ok(Self::Ed25519),
            KeyAlgorithm::Ed25519 => Err(InvalidValue(format!(
                "must be {} for an ed25519 key",
                Self::ED25519_BITS
            ))),
        }
    }

    /// RSA or Ed25519.
    pub fn algorithm(self) -> KeyAlgorithm {
        match self {
            Self::Rsa(_) => KeyAlgorithm::Rsa,
            Self::Ed25519 => KeyAlgorithm::Ed25519,
        }
    }

    /// The RSA modulus size, or 256 for Ed25519.
    pub fn bits(self) -> u32 {
        match self {
            Self::Rsa(size) => size.bits(),
            Self::Ed25519 => Self::ED25519_BITS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_inside_the_range_are_accepted() {
        for bits in [512u32, 1024, 2048, 4096, 8192, 1000] {
            assert_eq!(KeySize::try_from(bits).unwrap().bits(), bits);
        }
    }

    #[test]
    fn sizes_outside_the_range_are_rejected() {
        assert!(KeySize::try_from(511u32).is_err());
        assert!(KeySize::try_from(8193u32).is_err());
        assert!(KeySize::try_from(-1i64).is_err());
        assert!(KeySize::try_from(i64::MAX).is_err());
    }

    #[test]
    fn an_ed25519_spec_is_256_bits_and_nothing_else() {
        assert_eq!(
            KeySpec::new(KeyAlgorithm::Ed25519, 256),
            Ok(KeySpec::Ed25519)
        );
        assert_eq!(KeySpec::Ed25519.bits(), 256);
        assert!(KeySpec::new(KeyAlgorithm::Ed25519, 2048).is_err());
    }

    #[test]
    fn an_rsa_spec_keeps_the_rsa_range() {
        let spec = KeySpec::new(KeyAlgorithm::Rsa, 2048).unwrap();
        assert_eq!((spec.algorithm(), spec.bits()), (KeyAlgorithm::Rsa, 2048));
        assert!(KeySpec::new(KeyAlgorithm::Rsa, 256).is_err());
    }
}
