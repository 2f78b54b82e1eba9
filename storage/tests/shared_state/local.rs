//! The in-process equivalents, as a node running alone uses them.

use std::time::Duration;

use signet_domain::shared_state::{Cache, Leases, RateLimiter};
use signet_storage::shared::{
    LocalCache, LocalLeases, LocalRateLimiter, RateLimitSettings, SharedHealth, SharedState,
};

use crate::support::eventually;

const SLOW_REFILL: f64 = 0.01;

#[tokio::test]
async fn the_local_cache_returns_a_value_until_its_ttl_passes() {
    let cache = LocalCache::new(100);
    cache.put("k", "v1", Duration::from_secs(60)).await;
    cache.put("k", "v2", Duration::from_secs(60)).await;
    cache.put("short", "s", Duration::from_millis(50)).await;
    assert_eq!(cache.get("k").await.as_deref(), Some("v2"));
    assert_eq!(cache.get("missing").await, None);
    assert_eq!(cache.get("short").await.as_deref(), Some("s"));
    eventually(
        Duration::from_secs(5),
        "the short entry expires",
        || async { cache.get("short").await.is_none().then_some(()) },
    )
    .await;
    assert_eq!(cache.get("k").await.as_deref(), Some("v2"));
}

#[tokio::test]
async fn a_full_local_cache_evicts_the_entry_closest_to_expiry() {
    let cache = LocalCache::new(3);
    for (key, secs) in [("b", 20), ("a", 10), ("c", 30), ("d", 40)] {
        cache.put(key, key, Duration::from_secs(secs)).await;
    }
    assert_eq!(cache.len(), 3);
    assert_eq!(cache.get("a").await, None);
    for key in ["b", "c", "d"] {
        assert_eq!(cache.get(key).await.as_deref(), Some(key));
    }
    cache.put("c", "c2", Duration::from_secs(5)).await;
    assert_eq!(cache.len(), 3, "overwriting does not grow the cache");
    cache.put("e", "e", Duration::from_secs(50)).await;
    assert_eq!(cache.get("c").await, None, "c now expires first");
}

#[tokio::test]
async fn the_local_limiter_allows_the_capacity_then_refuses_with_a_retry_delay() {
    let limiter = LocalRateLimiter::new(RateLimitSettings::new(3, SLOW_REFILL));
    for remaining in [2, 1, 0] {
        let decision = limiter.take("key-1").await;
        assert!(decision.allowed);
        assert_eq!((decision.limit, decision.remaining), (3, remaining));
    }
    let refused = limiter.take("key-1").await;
    assert!(!refused.allowed);
    assert_eq!(refused.remaining, 0);
    assert!(refused.retry_after > Duration::ZERO);
    assert!(refused.retry_after <= Duration::from_secs(100));
    assert!(limiter.take("key-2").await.allowed, "buckets are per key");
}

#[tokio::test]
async fn the_local_limiter_refills_over_time() {
    let limiter = LocalRateLimiter::new(RateLimitSettings::new(2, 50.0));
    let mut allowed = 0;
    let refused = loop {
        let decision = limiter.take("key").await;
        if !decision.allowed {
            break decision;
        }
        allowed += 1;
        assert!(allowed < 1000, "never refused");
    };
    assert!(allowed >= 2);
    assert!(refused.retry_after > Duration::ZERO);
    assert!(
        refused.retry_after <= Duration::from_millis(20),
        "1 token per 20 ms"
    );
    eventually(Duration::from_secs(5), "a token comes back", || async {
        limiter.take("key").await.allowed.then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_local_lease_is_refused_while_held_then_granted_again() {
    let leases = LocalLeases::new();
    assert!(leases.try_acquire("job", Duration::from_millis(100)).await);
    assert!(!leases.try_acquire("job", Duration::from_millis(100)).await);
    assert!(leases.try_acquire("other", Duration::from_secs(60)).await);
    eventually(Duration::from_secs(5), "the lease expires", || async {
        leases
            .try_acquire("job", Duration::from_secs(60))
            .await
            .then_some(())
    })
    .await;
    assert!(!leases.try_acquire("job", Duration::from_secs(60)).await);
}

#[tokio::test]
async fn a_local_lease_given_up_is_free_at_once() {
    let leases = LocalLeases::new();
    assert!(leases.try_acquire("job", Duration::from_secs(60)).await);
    leases.release("job").await;
    assert!(leases.try_acquire("job", Duration::from_secs(60)).await);
    assert!(!leases.try_acquire("job", Duration::from_secs(60)).await);
}

#[tokio::test]
async fn without_redis_shared_state_is_local() {
    let shared = SharedState::connect(None, RateLimitSettings::new(2, SLOW_REFILL))
        .await
        .expect("no URL is valid");
    assert_eq!(shared.health(), SharedHealth::Local);
    shared.cache().put("k", "v", Duration::from_secs(60)).await;
    assert_eq!(shared.cache().get("k").await.as_deref(), Some("v"));
    let limiter = shared.rate_limiter();
    assert!(limiter.take("key").await.allowed);
    assert!(limiter.take("key").await.allowed);
    assert!(!limiter.take("key").await.allowed);
    assert!(
        shared
            .leases()
            .try_acquire("job", Duration::from_secs(60))
            .await
    );
    assert!(
        !shared
            .leases()
            .try_acquire("job", Duration::from_secs(60))
            .await
    );
    assert_eq!(shared.check().await, SharedHealth::Local);
}

#[tokio::test]
async fn a_malformed_redis_url_is_refused_at_startup() {
    let limits = RateLimitSettings::new(2, 1.0);
    assert!(SharedState::connect(Some("not a url"), limits)
        .await
        .is_err());
}

#[test]
fn rate_limit_settings_keep_buckets_usable() {
    let settings = RateLimitSettings::new(0, 0.0);
    assert_eq!(settings.capacity(), 1);
    assert!(settings.refill_per_second() > 0.0);
    assert!(RateLimitSettings::new(1, f64::NAN).refill_per_second() > 0.0);
}
