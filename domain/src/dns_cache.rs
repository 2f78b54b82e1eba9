//! A DNS lookup that shares its answers through a [`Cache`], so every node
//! asks the world once per TTL. Explicit checks (`txt_now`) skip the cache
//! but refresh it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::dns::TxtAnswer;
use crate::ports::DnsLookup;
use crate::shared_state::Cache;

/// Wraps a lookup with a shared cache of definitive answers. Failures are
/// never cached, so the next check asks again.
pub struct CachedDns {
    inner: Arc<dyn DnsLookup>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

impl CachedDns {
    /// Caches `inner`'s answers in `cache` for `ttl`.
    pub fn new(inner: Arc<dyn DnsLookup>, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { inner, cache, ttl }
    }

    /// Shares a definitive answer with the other nodes.
    async fn store(&self, key: &str, answer: &TxtAnswer) {
        if !matches!(answer, TxtAnswer::Failed(_)) {
            if let Ok(json) = serde_json::to_string(answer) {
                self.cache.put(key, &json, self.ttl).await;
            }
        }
    }
}

/// The cache key of a name's TXT answer.
fn cache_key(name: &str) -> String {
    format!(
        "dns:txt:{}",
        name.trim_end_matches('.').to_ascii_lowercase()
    )
}

#[async_trait]
impl DnsLookup for CachedDns {
    async fn txt(&self, name: &str) -> TxtAnswer {
        let key = cache_key(name);
        if let Some(hit) = self.cache.get(&key).await {
            if let Ok(answer) = serde_json::from_str::<TxtAnswer>(&hit) {
                return answer;
            }
        }
        let answer = self.inner.txt(name).await;
        self.store(&key, &answer).await;
        answer
    }

    async fn txt_now(&self, name: &str) -> TxtAnswer {
        let answer = self.inner.txt_now(name).await;
        self.store(&cache_key(name), &answer).await;
        answer
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use super::*;

    /// Counts lookups and answers from a script; the cache under test is real.
    struct Scripted {
        answer: TxtAnswer,
        calls: AtomicUsize,
    }

    #[async_trait]
    impl DnsLookup for Scripted {
        async fn txt(&self, _name: &str) -> TxtAnswer {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.answer.clone()
        }
    }

    #[derive(Default)]
    struct MapCache(Mutex<HashMap<String, String>>);

    #[async_trait]
    impl Cache for MapCache {
        async fn get(&self, key: &str) -> Option<String> {
            self.0.lock().ok()?.get(key).cloned()
        }
        async fn put(&self, key: &str, value: &str, _ttl: Duration) {
            if let Ok(mut map) = self.0.lock() {
                map.insert(key.to_owned(), value.to_owned());
            }
        }
    }

    async fn ask_twice(answer: TxtAnswer) -> usize {
        let inner = Arc::new(Scripted {
            answer: answer.clone(),
            calls: AtomicUsize::new(0),
        });
        let dns = CachedDns::new(
            inner.clone(),
            Arc::new(MapCache::default()),
            Duration::from_secs(60),
        );
        assert_eq!(dns.txt("s._domainkey.example.com").await, answer);
        assert_eq!(dns.txt("S._domainkey.EXAMPLE.com").await, answer);
        inner.calls.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn definitive_answers_are_asked_once() {
        assert_eq!(ask_twice(TxtAnswer::Records(vec!["p=x".into()])).await, 1);
        assert_eq!(ask_twice(TxtAnswer::NoSuchName).await, 1);
    }

    #[tokio::test]
    async fn failures_are_asked_again() {
        assert_eq!(ask_twice(TxtAnswer::Failed("timeout".into())).await, 2);
    }

    #[tokio::test]
    async fn an_explicit_lookup_asks_again_and_refreshes_the_cache() {
        let inner = Arc::new(Scripted {
            answer: TxtAnswer::Records(vec!["p=x".into()]),
            calls: AtomicUsize::new(0),
        });
        let dns = CachedDns::new(
            inner.clone(),
            Arc::new(MapCache::default()),
            Duration::from_secs(60),
        );
        dns.txt_now("s._domainkey.example.com").await;
        dns.txt_now("s._domainkey.example.com.").await;
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
        dns.txt("S._domainkey.example.com").await;
        assert_eq!(
            inner.calls.load(Ordering::SeqCst),
            2,
            "served from the cache"
        );
    }
}
