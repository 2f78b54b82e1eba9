//! Response-rate limiting on UDP, as BIND and Knot do it: a token bucket of
//! responses per second for each source network (a /24 in IPv4, a /56 in
//! IPv6), so a spoofed victim cannot be flooded with answers larger than
//! the questions. Over the rate a response is dropped, except every
//! `slip`-th, which goes out as an empty answer with TC set: a real client
//! behind a busy network retries over TCP (exempt from the limit), while a
//! reflection gains nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// What to do with one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it.
    Answer,
    /// Send nothing.
    Drop,
    /// Send an empty truncated answer instead.
    Slip,
}

/// Source networks remembered before idle ones are forgotten.
const MAX_NETWORKS: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    over: u32,
}

/// The rate limiter of one server.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    slip: u32,
    buckets: Mutex<HashMap<u128, Bucket>>,
}

impl RateLimiter {
    /// `rate` responses a second per network (and as many at once), every
    /// `slip`-th over it slipped (0 never slips, 1 slips them all).
    pub fn new(rate: u32, slip: u32) -> Self {
        Self {
            rate: f64::from(rate.max(1)),
            slip,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a response to `source` may go out now.
    pub fn decide(&self, source: IpAddr, now: Instant) -> Decision {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_NETWORKS {
            let rate = self.rate;
            buckets.retain(|_, b| refilled(b, now, rate) < rate);
        }
        let bucket = buckets.entry(network(source)).or_insert(Bucket {
            tokens: self.rate,
            at: now,
            over: 0,
        });
        bucket.tokens = refilled(bucket, now, self.rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            bucket.over = 0;
            return Decision::Answer;
        }
        bucket.over = bucket.over.wrapping_add(1);
        if self.slip > 0 && bucket.over.is_multiple_of(self.slip) {
            Decision::Slip
        } else {
            Decision::Drop
        }
    }
}

fn refilled(bucket: &Bucket, now: Instant, rate: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + elapsed * rate).min(rate)
}

/// The source's network: its /24 or /56, tagged by family.
fn network(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4) & 0xffff_ff00),
        IpAddr::V6(v6) => (u128::from(v6) & !((1u128 << 72) - 1)) | 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_the_rate_is_dropped_and_every_second_one_slips() {
        let limiter = RateLimiter::new(3, 2);
        let now = Instant::now();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let decisions: Vec<_> = (0..7).map(|_| limiter.decide(ip, now)).collect();
        use Decision::*;
        assert_eq!(decisions, [Answer, Answer, Answer, Drop, Slip, Drop, Slip]);
    }

    #[test]
    fn neighbours_share_a_bucket_and_other_networks_do_not() {
        let limiter = RateLimiter::new(1, 0);
        let now = Instant::now();
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let b: IpAddr = "192.0.2.200".parse().unwrap();
        let c: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(limiter.decide(a, now), Decision::Answer);
        assert_eq!(limiter.decide(b, now), Decision::Drop);
        assert_eq!(limiter.decide(c, now), Decision::Answer);
        let later = now + std::time::Duration::from_secs(1);
        assert_eq!(limiter.decide(b, later), Decision::Answer);
    }

    #[test]
    fn ipv6_networks_are_slash_56() {
        let x: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        let y: IpAddr = "2001:db8:0:ff::2".parse().unwrap();
        let z: IpAddr = "2001:db8:0:100::1".parse().unwrap();
        assert_eq!(network(x), network(y));
        assert_ne!(network(x), network(z));
    }
}
