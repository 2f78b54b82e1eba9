//! Announcements of tenant changes (a revoked API key, new settings) on the
//! Redis channel `{prefix}tenant-changes`, so every node drops what its
//! authentication cache holds about the tenant at once. The message is the
//! tenant's id.
//!
//! Pub/sub is fire and forget: a node that is not subscribed at the moment
//! misses the message. The cache's TTL bounds what that costs, and a node
//! forgets its whole cache each time it (re)subscribes.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt as _;
use redis::aio::{PubSubSink, PubSubStream};
use redis::{Client, RedisResult};
use ring::rand::{SecureRandom as _, SystemRandom};
use signet_domain::shared_state::{TenantChangeListener, TenantChanges};
use signet_domain::TenantId;
use tokio::task::JoinHandle;

/// The first wait before subscribing again after the connection is lost.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between attempts while Redis stays away.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often a quiet subscription is pinged, so a half-open connection is
/// noticed and replaced.
const PING_INTERVAL: Duration = Duration::from_secs(5);

/// The channel of a deployment's announcements.
pub(super) fn channel(prefix: &str) -> String {
    format!("{prefix}tenant-changes")
}

/// A node alone has nobody to tell: its own cache forgets on the spot.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalTenantChanges;

#[async_trait]
impl TenantChanges for LocalTenantChanges {
    async fn publish(&self, _tenant: TenantId) {}
}

/// Listening for announcements in the background; stops when dropped.
#[derive(Debug)]
pub struct ChangeSubscription(JoinHandle<()>);

impl Drop for ChangeSubscription {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where and how to subscribe.
pub(super) struct Subscriber {
    pub client: Client,
    pub channel: String,
    /// The longest a connection, a subscription or a ping may take.
    pub timeout: Duration,
}

impl Subscriber {
    /// Subscribes once (within the timeout) before returning, so changes
    /// announced from now on reach `listener`, then keeps the subscription
    /// in a background task that resubscribes with jittered backoff whenever Redis
    /// goes away. Never blocks a request: the listener only takes a lock.
    pub async fn start(self, listener: Arc<dyn TenantChangeListener>) -> ChangeSubscription {
        let first = self.subscribe().await;
        ChangeSubscription(tokio::spawn(self.run(listener, first)))
    }

    async fn run(
        self,
        listener: Arc<dyn TenantChangeListener>,
        first: RedisResult<(PubSubSink, PubSubStream)>,
    ) {
        let mut attempt = first;
        let mut backoff = MIN_BACKOFF;
        loop {
            match attempt {
                Ok((sink, stream)) => {
                    // Whatever was announced while unsubscribed is lost.
                    listener.missed();
                    backoff = MIN_BACKOFF;
                    let lost = self.receive(sink, stream, listener.as_ref()).await;
                    tracing::warn!(reason = %lost, "lost the subscription to tenant changes; subscribing again");
                }
                Err(e) => tracing::debug!(error = %e, "cannot subscribe to tenant changes"),
            }
            tokio::time::sleep(jittered(backoff)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt = self.subscribe().await;
        }
    }

    async fn subscribe(&self) -> RedisResult<(PubSubSink, PubSubStream)> {
        let attempt = async {
            let (mut sink, stream) = self.client.get_async_pubsub().await?.split();
            sink.subscribe(&self.channel).await?;
            Ok((sink, stream))
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(subscribed) => subscribed,
            Err(_) => Err(timed_out()),
        }
    }

    /// Hands announcements to `listener` until the connection is lost;
    /// returns why.
    async fn receive(
        &self,
        mut sink: PubSubSink,
        mut stream: PubSubStream,
        listener: &dyn TenantChangeListener,
    ) -> String {
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.tick().await;
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else {
                        return "the connection closed".into();
                    };
                    match message.get_payload::<i64>() {
                        Ok(id) => listener.changed(TenantId(id)),
                        Err(e) => tracing::warn!(error = %e, "ignoring a malformed tenant change"),
                    }
                }
                _ = ping.tick() => {
                    let pong = tokio::time::timeout(self.timeout, sink.ping::<redis::Value>());
                    match pong.await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return e.to_string(),
                        Err(_) => return format!("no answer to a ping within {:?}", self.timeout),
                    }
                }
            }
        }
    }
}

/// A random wait between half of `backoff` and all of it, so the nodes that
/// lost Redis together do not all resubscribe in step when it returns.
fn jittered(backoff: Duration) -> Duration {
    let mut bytes = [0u8; 2];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return backoff;
    }
    let fraction = f64::from(u16::from_be_bytes(bytes)) / f64::from(u16::MAX);
    backoff.mul_f64(0.5 + fraction / 2.0)
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::IoError, "timed out"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jittered_wait_lies_between_half_the_backoff_and_all_of_it() {
        let waits: Vec<Duration> = (0..200).map(|_| jittered(MAX_BACKOFF)).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= MAX_BACKOFF / 2 && *w <= MAX_BACKOFF));
        let first = waits[0];
        assert!(waits.iter().any(|w| *w != first), "the waits vary");
    }
}
