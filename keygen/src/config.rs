//! The key generator's settings: how many generations run at once, how
//! long one may wait its turn, and which sizes are made ahead of time.

use std::time::Duration;

use signet_domain::KeySize;

use signet_domain::duration::parse_duration;

/// Longest a generation may wait for a free generator before a 503.
pub const DEFAULT_QUEUE_TIMEOUT: &str = "30s";
/// RSA keys kept ready: eight of 2048 bits (the usual size) and four of
/// 1024. Filling it costs about two seconds of one core at startup.
pub const DEFAULT_KEY_POOL: &str = "2048:8,1024:4";

/// How RSA keys are generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How many RSA generations may run at once (one per core by default).
    pub concurrency: usize,
    /// Longest a generation may wait for a free generator; then 503.
    pub queue_timeout: Duration,
    /// RSA keys generated ahead of requests, per size.
    pub pool: KeyPool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            concurrency: default_concurrency(),
            queue_timeout: parse_duration(DEFAULT_QUEUE_TIMEOUT).expect("a valid literal duration"),
            pool: KeyPool::parse(DEFAULT_KEY_POOL).expect("a valid literal pool"),
        }
    }
}

/// One RSA generation per core.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// How many ready keys to keep per size: `2048:8,1024:4`; `""` or `off`
/// keeps none. Sizes not listed are generated on demand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPool(Vec<(KeySize, usize)>);

impl KeyPool {
    /// Reads `BITS:DEPTH` pairs separated by commas; each size at most once.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("off") {
            return Ok(Self::default());
        }
        let mut depths: Vec<(KeySize, usize)> = Vec::new();
        for pair in s.split(',') {
            let wrong = || format!("`{pair}` is not BITS:DEPTH, such as 2048:8");
            let (bits, depth) = pair.split_once(':').ok_or_else(wrong)?;
            let bits: u32 = bits.trim().parse().map_err(|_| wrong())?;
            let size = KeySize::try_from(bits).map_err(|e| format!("key size {bits} {e}"))?;
            let depth = depth.trim().parse().map_err(|_| wrong())?;
            if depths.iter().any(|(listed, _)| *listed == size) {
                return Err(format!("key size {bits} is listed twice"));
            }
            depths.push((size, depth));
        }
        Ok(Self(depths))
    }

    /// Each pooled size with the number of keys to keep ready, as listed.
    pub fn depths(&self) -> &[(KeySize, usize)] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_pool_lists_sizes_with_their_depths_or_is_off() {
        let size = |bits: u32| KeySize::try_from(bits).unwrap();
        let pool = KeyPool::parse(DEFAULT_KEY_POOL).unwrap();
        assert_eq!(pool.depths(), [(size(2048), 8), (size(1024), 4)]);
        let spaced = KeyPool::parse(" 4096 : 1 , 1024:0 ").unwrap();
        assert_eq!(spaced.depths(), [(size(4096), 1), (size(1024), 0)]);
        for off in ["", "off", "OFF", "  "] {
            assert_eq!(KeyPool::parse(off), Ok(KeyPool::default()), "{off:?}");
        }
    }

    #[test]
    fn a_key_pool_with_a_bad_size_depth_or_repeat_is_refused() {
        for bad in [
            "2048",
            "2048:x",
            "2048:-1",
            "256:4",
            "9000:1",
            "2048:1,2048:2",
            "2048:1,",
        ] {
            assert!(KeyPool::parse(bad).is_err(), "{bad}");
        }
        let message = KeyPool::parse("1024:2,1024:3").unwrap_err();
        assert_eq!(message, "key size 1024 is listed twice");
    }
}
