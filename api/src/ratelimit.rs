//! Per-API-key rate limits: a token bucket per key, shared by every node
//! through the shared state. Authenticated dialect responses say how much of
//! the budget is left; a request over it gets 429 in its dialect's shape.
//! Requests without valid credentials are never counted: they get 401.
//! The fleet feed counts each fleet token the same way ([`FleetBucket`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use signet_domain::shared_state::{RateDecision, RateLimiter};
use signet_fleet::FleetBucket;
use signet_http_kit::whole_seconds;
use signet_storage::shared::RateLimitSettings;

use crate::auth::AuthenticatedKey;
use crate::dialect::Dialect;

/// Burst of requests an API key may send at once.
pub const DEFAULT_CAPACITY: u32 = 100;
/// Requests per second an API key may sustain.
pub const DEFAULT_REFILL_PER_SECOND: f64 = 20.0;

/// A token bucket per API key, shared by every node through Redis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens in a full bucket: the burst a key may send. Zero turns rate
    /// limiting off.
    pub capacity: u32,
    /// Tokens added per second: the rate a key may sustain.
    pub refill_per_second: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            capacity: DEFAULT_CAPACITY,
            refill_per_second: DEFAULT_REFILL_PER_SECOND,
        }
    }
}

/// The bucket's capacity: the burst allowed.
pub const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
/// Whole requests left in the bucket.
pub const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
/// Seconds until the bucket is full again.
pub const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The limiter and how fast its buckets refill.
#[derive(Clone)]
pub struct RateLimits {
    limiter: Arc<dyn RateLimiter>,
    refill_per_second: f64,
}

impl RateLimits {
    /// Limits taken from `limiter`, whose buckets follow `settings` (already
    /// clamped to a usable refill rate).
    pub fn new(limiter: Arc<dyn RateLimiter>, settings: &RateLimitSettings) -> Self {
        Self {
            limiter,
            refill_per_second: settings.refill_per_second(),
        }
    }
}

/// Takes a token for the request's API key or fleet token, if it has one,
/// and answers 429 with `Retry-After` when the bucket is empty.
pub async fn enforce(State(limits): State<RateLimits>, req: Request, next: Next) -> Response {
    let bucket = match (
        req.extensions().get::<AuthenticatedKey>(),
        req.extensions().get::<FleetBucket>(),
    ) {
        (Some(AuthenticatedKey(hash)), _) => hash.0.clone(),
        (None, Some(FleetBucket(bucket))) => bucket.clone(),
        (None, None) => return next.run(req).await,
    };
    let decision = limits.limiter.take(&bucket).await;
    let mut response = if decision.allowed {
        next.run(req).await
    } else {
        let wait = whole_seconds(decision.retry_after);
        let message = format!(
            "Too many requests: the limit is {} requests in a burst, try again in {wait} seconds",
            decision.limit
        );
        let mut response =
            Dialect::of(req.uri().path()).error(StatusCode::TOO_MANY_REQUESTS, &message);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(wait));
        response
    };
    budget_headers(response.headers_mut(), decision, limits.refill_per_second);
    response
}

fn budget_headers(headers: &mut HeaderMap, decision: RateDecision, refill_per_second: f64) {
    let missing = f64::from(decision.limit.saturating_sub(decision.remaining));
    let until_full =
        Duration::try_from_secs_f64(missing / refill_per_second).unwrap_or(Duration::MAX);
    headers.insert(LIMIT, HeaderValue::from(decision.limit));
    headers.insert(REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(RESET, HeaderValue::from(ceil_seconds(until_full)));
}

fn ceil_seconds(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_is_the_time_to_refill_what_was_used() {
        let mut headers = HeaderMap::new();
        let decision = RateDecision {
            allowed: true,
            limit: 100,
            remaining: 60,
            retry_after: Duration::ZERO,
        };
        budget_headers(&mut headers, decision, 20.0);
        assert_eq!(headers[LIMIT], "100");
        assert_eq!(headers[REMAINING], "60");
        assert_eq!(headers[RESET], "2");
        let full = RateDecision {
            remaining: 100,
            ..decision
        };
        budget_headers(&mut headers, full, 20.0);
        assert_eq!(headers[RESET], "0");
    }

    #[test]
    fn a_zero_refill_rate_never_panics() {
        let mut headers = HeaderMap::new();
        let decision = RateDecision {
            allowed: false,
            limit: 10,
            remaining: 0,
            retry_after: Duration::ZERO,
        };
        budget_headers(&mut headers, decision, 0.0);
        assert_eq!(headers[RESET], u64::MAX.to_string());
    }
}
