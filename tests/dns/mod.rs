//! The DNS adapter (`HickoryDns`) against a real DNS server on loopback: each
//! outcome a tenant's record can have, judged as the core judges it.

mod latency;
mod lookup;
mod software;

use std::sync::OnceLock;
use std::time::Duration;

use signet_api::dns::{DnsSettings, HickoryDns};
use signet_domain::{KeySize, PrivateKey};
use signet_tests::dns_server::split;
use signet_tests::TestDns;

/// The record name most tests publish at.
const NAME: &str = "s1._domainkey.example.com";

/// A resolver that asks only `dns`, once, waiting 300 ms.
fn resolver(dns: &TestDns) -> HickoryDns {
    HickoryDns::new(&DnsSettings {
        servers: vec![dns.addr()],
        timeout: Duration::from_millis(300),
        attempts: 1,
    })
    .expect("a resolver over a loopback server builds")
}

/// Two distinct 1024-bit keys, made once per run.
async fn small_keys() -> &'static (PrivateKey, PrivateKey) {
    static KEYS: OnceLock<(PrivateKey, PrivateKey)> = OnceLock::new();
    blocking(|| KEYS.get_or_init(|| (generate(1024), generate(1024)))).await
}

/// A 2048-bit key, made once per run: its record needs several strings.
async fn large_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    blocking(|| KEY.get_or_init(|| generate(2048))).await
}

fn generate(bits: u32) -> PrivateKey {
    let size = KeySize::try_from(bits).expect("a supported size");
    PrivateKey::generate_rsa(size).expect("RSA generation succeeds")
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("key generation does not panic")
}

/// The record Signet tells tenants to publish for `key`.
fn record(key: &PrivateKey) -> String {
    format!("k=rsa; p={}", key.public_key())
}
