//! RSA key sizes.

use std::fmt;

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
}
