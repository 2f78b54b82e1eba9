//! The external identity provider's signing keys: fetched at start, cached,
//! and fetched again when a token names a key id the cache lacks, at most
//! once per refetch interval (10 s), so a flood of unknown key ids costs the
//! IdP one request per interval. Concurrent misses share one fetch.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Longest a JWKS fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document read; real ones are a few kilobytes.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A configured external identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleIdp {
    /// Where its JWKS is.
    pub jwks_url: String,
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud`.
    pub audience: String,
}

/// A verification key and the one algorithm it verifies, taken from the JWK.
#[derive(Clone)]
pub struct VerificationKey {
    /// The key.
    pub key: DecodingKey,
    /// RS256, ES256 or EdDSA.
    pub algorithm: Algorithm,
}

/// The IdP's keys by key id.
pub struct IdpKeys {
    idp: ConsoleIdp,
    client: reqwest::Client,
    keys: RwLock<Arc<HashMap<String, VerificationKey>>>,
    /// When the keys were last fetched; held across a fetch, so concurrent
    /// misses wait for it rather than fetching again.
    last_fetch: Mutex<Option<Instant>>,
    refetch_interval: Duration,
}

impl IdpKeys {
    /// Fetches the IdP's keys. An IdP that cannot be reached does not stop
    /// Signet (the dialects do not need it): the console then refuses tokens
    /// until a fetch succeeds, and the first token tries one at once.
    pub async fn start(idp: ConsoleIdp, refetch_interval: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .context("cannot build the HTTP client for SIGNET_CONSOLE_JWKS_URL")?;
        let this = Self {
            idp,
            client,
            keys: RwLock::new(Arc::default()),
            last_fetch: Mutex::new(None),
            refetch_interval,
        };
        match this.fetch().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "fetched the console IdP's signing keys");
                *this.keys.write().expect("not poisoned") = Arc::new(keys);
                *this.last_fetch.lock().await = Some(Instant::now());
            }
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "cannot fetch the console IdP's signing keys (SIGNET_CONSOLE_JWKS_URL); \
                 console tokens from it are refused until a fetch succeeds"
            ),
        }
        Ok(this)
    }

    /// The issuer and audience its tokens must carry.
    pub fn idp(&self) -> &ConsoleIdp {
        &self.idp
    }

    /// The key with this id, fetching the key set again if it is unknown and
    /// the last fetch is older than the refetch interval.
    pub async fn key(&self, kid: &str) -> Option<VerificationKey> {
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        let mut last_fetch = self.last_fetch.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        if last_fetch.is_some_and(|at| at.elapsed() < self.refetch_interval) {
            return None;
        }
        *last_fetch = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(
                    keys = keys.len(),
                    "fetched the console IdP's signing keys again"
                );
                *self.keys.write().expect("not poisoned") = Arc::new(keys);
            }
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "cannot fetch the console IdP's signing keys"
            ),
        }
        self.cached(kid)
    }

    fn cached(&self, kid: &str) -> Option<VerificationKey> {
        self.keys.read().expect("not poisoned").get(kid).cloned()
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, VerificationKey>> {
        let url = &self.idp.jwks_url;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("GET {url}"))?;
        if response
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            anyhow::bail!("the JWKS at {url} is larger than {MAX_JWKS_BYTES} bytes");
        }
        let body = response
            .bytes()
            .await
            .with_context(|| format!("GET {url}"))?;
        anyhow::ensure!(
            body.len() <= MAX_JWKS_BYTES,
            "the JWKS at {url} is larger than {MAX_JWKS_BYTES} bytes"
        );
        let document: serde_json::Value =
            serde_json::from_slice(&body).with_context(|| format!("{url} is not JSON"))?;
        let keys = document
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .with_context(|| format!("{url} is not a JWKS (no `keys` array)"))?;
        Ok(keys.iter().filter_map(usable).collect())
    }
}

/// A JWK this console accepts, by its key id: a signing key of type RSA,
/// EC P-256 or OKP Ed25519, whose `alg`, if given, matches. Symmetric keys
/// and every other algorithm are skipped, so no HMAC can ever verify.
fn usable(value: &serde_json::Value) -> Option<(String, VerificationKey)> {
    let jwk: Jwk = serde_json::from_value(value.clone()).ok()?;
    let kid = jwk.common.key_id.clone()?;
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    let declared = jwk.common.key_algorithm;
    let agrees = match declared {
        None => true,
        Some(KeyAlgorithm::RS256) => algorithm == Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => algorithm == Algorithm::ES256,
        Some(KeyAlgorithm::EdDSA) => algorithm == Algorithm::EdDSA,
        Some(_) => false,
    };
    if !agrees {
        return None;
    }
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    Some((kid, VerificationKey { key, algorithm }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const N: &str = "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw";

    #[test]
    fn the_algorithm_comes_from_the_key_and_hmac_keys_are_skipped() {
        let rsa = json!({"kty": "RSA", "kid": "r", "n": N, "e": "AQAB"});
        assert_eq!(usable(&rsa).unwrap().1.algorithm, Algorithm::RS256);
        let okp = json!({"kty": "OKP", "crv": "Ed25519", "kid": "o",
                         "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        assert_eq!(usable(&okp).unwrap().1.algorithm, Algorithm::EdDSA);
        let oct = json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0", "alg": "HS256"});
        assert!(usable(&oct).is_none());
        let rs512 = json!({"kty": "RSA", "kid": "r", "n": N, "e": "AQAB", "alg": "RS512"});
        assert!(usable(&rs512).is_none());
        let lying = json!({"kty": "RSA", "kid": "r", "n": N, "e": "AQAB", "alg": "HS256"});
        assert!(usable(&lying).is_none());
        let encryption = json!({"kty": "RSA", "kid": "r", "n": N, "e": "AQAB", "use": "enc"});
        assert!(usable(&encryption).is_none());
        let no_kid = json!({"kty": "RSA", "n": N, "e": "AQAB"});
        assert!(usable(&no_kid).is_none());
    }
}
