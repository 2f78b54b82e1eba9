//! The Redis adapters and `SharedState` against the shared test Redis.

use std::time::Duration;

use signet_storage::shared::{
    RateLimitSettings, RedisCache, RedisLeases, RedisRateLimiter, SharedHealth, SharedState,
};

use crate::support::{connection, eventually, redis_url, settings, unique_prefix};

/// One token per 100 s: no refill within a test.
const SLOW_REFILL: f64 = 0.01;

#[tokio::test]
async fn the_redis_cache_returns_a_value_until_its_ttl_passes() {
    let Some(url) = redis_url() else { return };
    let cache = RedisCache::new(connection(&url).await, &unique_prefix());
    cache.put("k", "v1", Duration::from_secs(60)).await.unwrap();
    cache.put("k", "v2", Duration::from_secs(60)).await.unwrap();
    cache
        .put("short", "s", Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(cache.get("missing").await.unwrap(), None);
    assert_eq!(cache.get("short").await.unwrap().as_deref(), Some("s"));
    eventually(
        Duration::from_secs(5),
        "the short entry expires",
        || async { cache.get("short").await.unwrap().is_none().then_some(()) },
    )
    .await;
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some("v2"));
}

#[tokio::test]
async fn the_redis_limiter_allows_the_capacity_then_refuses_with_a_retry_delay() {
    let Some(url) = redis_url() else { return };
    let limits = RateLimitSettings::new(3, SLOW_REFILL);
    let limiter = RedisRateLimiter::new(connection(&url).await, &unique_prefix(), limits);
    for remaining in [2, 1, 0] {
        let decision = limiter.take("key-1").await.unwrap();
        assert!(decision.allowed);
        assert_eq!((decision.limit, decision.remaining), (3, remaining));
    }
    let refused = limiter.take("key-1").await.unwrap();
    assert!(!refused.allowed);
    assert_eq!(refused.remaining, 0);
    assert!(refused.retry_after > Duration::ZERO);
    assert!(refused.retry_after <= Duration::from_secs(100));
    assert!(
        limiter.take("key-2").await.unwrap().allowed,
        "buckets are per key"
    );
}

#[tokio::test]
async fn the_redis_limiter_refills_over_time() {
    let Some(url) = redis_url() else { return };
    let limits = RateLimitSettings::new(2, 50.0);
    let limiter = RedisRateLimiter::new(connection(&url).await, &unique_prefix(), limits);
    let mut allowed = 0;
    let refused = loop {
        let decision = limiter.take("key").await.unwrap();
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
        limiter.take("key").await.unwrap().allowed.then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_nodes_on_one_redis_share_buckets_cache_and_leases() {
    let Some(url) = redis_url() else { return };
    let node_a = settings(&url, RateLimitSettings::new(4, SLOW_REFILL));
    let node_b = node_a.clone();
    let a = SharedState::connect_with(node_a).await.unwrap();
    let b = SharedState::connect_with(node_b).await.unwrap();
    assert_eq!(
        (a.health(), b.health()),
        (SharedHealth::Redis, SharedHealth::Redis)
    );

    for node in [&a, &b, &a, &b] {
        assert!(node.rate_limiter().take("api-key").await.allowed);
    }
    let refused = b.rate_limiter().take("api-key").await;
    assert!(!refused.allowed && refused.retry_after > Duration::ZERO);
    assert!(!a.rate_limiter().take("api-key").await.allowed);

    a.cache()
        .put("dns", "answer", Duration::from_secs(60))
        .await;
    assert_eq!(b.cache().get("dns").await.as_deref(), Some("answer"));

    assert!(
        a.leases()
            .try_acquire("recheck", Duration::from_secs(60))
            .await
    );
    assert!(
        !b.leases()
            .try_acquire("recheck", Duration::from_secs(60))
            .await
    );
    assert_eq!(
        (a.check().await, b.check().await),
        (SharedHealth::Redis, SharedHealth::Redis)
    );
}

#[tokio::test]
async fn a_redis_lease_is_refused_to_anyone_until_its_ttl_passes() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix();
    let node_a = RedisLeases::new(connection(&url).await, &prefix);
    let node_b = RedisLeases::new(connection(&url).await, &prefix);
    let ttl = Duration::from_millis(200);
    assert!(node_a.try_acquire("job", ttl).await.unwrap());
    assert!(!node_b.try_acquire("job", ttl).await.unwrap());
    assert!(!node_a.try_acquire("job", ttl).await.unwrap());
    assert!(node_b.try_acquire("other", ttl).await.unwrap());
    eventually(Duration::from_secs(5), "the lease expires", || async {
        node_b
            .try_acquire("job", Duration::from_secs(60))
            .await
            .unwrap()
            .then_some(())
    })
    .await;
    assert!(!node_a.try_acquire("job", ttl).await.unwrap());
}

#[tokio::test]
async fn a_redis_lease_given_up_is_free_at_once_but_only_its_holder_can_give_it_up() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix();
    let node_a = RedisLeases::new(connection(&url).await, &prefix);
    let node_b = RedisLeases::new(connection(&url).await, &prefix);
    let ttl = Duration::from_secs(60);
    assert!(node_a.try_acquire("job", ttl).await.unwrap());
    node_b.release("job").await.unwrap();
    assert!(
        !node_b.try_acquire("job", ttl).await.unwrap(),
        "not b's to give up"
    );
    node_a.release("job").await.unwrap();
    assert!(node_b.try_acquire("job", ttl).await.unwrap());
    assert!(!node_a.try_acquire("job", ttl).await.unwrap());
}
