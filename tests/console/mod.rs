//! The console API: bearer JWTs from a loopback identity provider (an RSA
//! key served by a JWKS server) and from the built-in issuer, roles,
//! tenant isolation, and keys shared with both dialects.

mod across_nodes;
mod audit;
mod bodies;
mod dns_mode;
mod endpoints;
mod fleets;
mod issuers;
mod tokens;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use signet_api::ConsoleSettings;
use signet_testkit::JwksServer;

use signet_tests::{spawn_app_with, AppOptions, TestApp};

/// The `iss` of the test IdP's tokens.
pub const ISSUER: &str = "https://idp.example.test/";
/// The `aud` Signet is configured to require.
pub const AUDIENCE: &str = "signet-console-test";

/// An RSA signing key with its key id.
pub struct SigningKey {
    pub kid: String,
    private: RsaPrivateKey,
}

impl SigningKey {
    /// A fresh 2048-bit key.
    pub fn generate(kid: &str) -> Self {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key");
        Self {
            kid: kid.to_owned(),
            private,
        }
    }

    /// The same key under another key id.
    pub fn with_kid(&self, kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            private: self.private.clone(),
        }
    }

    /// Its public JWK.
    pub fn jwk(&self) -> Value {
        let public = self.private.to_public_key();
        json!({
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    /// Its public key as PKCS#1 DER: what an attacker would use as an HMAC secret.
    pub fn public_der(&self) -> Vec<u8> {
        use rsa::pkcs1::EncodeRsaPublicKey as _;
        self.private
            .to_public_key()
            .to_pkcs1_der()
            .expect("DER")
            .as_bytes()
            .to_vec()
    }

    /// An RS256 token with these claims, naming this key.
    pub fn sign(&self, claims: &Value) -> String {
        let der = self.private.to_pkcs1_der().expect("DER");
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(der.as_bytes()))
            .expect("a signed token")
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims for `role` in `tenant` (`None` for an operator).
pub fn claims(tenant: Option<&str>, role: &str) -> Value {
    let mut claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice@example.com",
        "role": role,
        "iat": now(),
        "nbf": now() - 5,
        "exp": now() + 300,
    });
    if let Some(tenant) = tenant {
        claims["tenant"] = json!(tenant);
    }
    claims
}

/// A server whose console trusts a loopback IdP.
pub struct Console {
    pub app: TestApp,
    pub jwks: JwksServer,
    pub key: SigningKey,
}

/// Starts a server trusting a fresh IdP that may be fetched again after
/// `refetch_interval`.
pub async fn spawn_console_refetching_after(refetch_interval: Duration) -> Console {
    spawn_console_with(refetch_interval, None).await
}

/// Starts a server trusting a fresh IdP, with settings adjusted by `configure`.
pub async fn spawn_console_configured(configure: fn(&mut signet_api::Settings)) -> Console {
    spawn_console_with(Duration::from_secs(10), Some(configure)).await
}

async fn spawn_console_with(
    refetch_interval: Duration,
    configure: Option<fn(&mut signet_api::Settings)>,
) -> Console {
    let key = SigningKey::generate("idp-key-1");
    let jwks = JwksServer::start(json!({"keys": [key.jwk()]})).await;
    let app = spawn_app_with(AppOptions {
        console: Some(ConsoleSettings {
            jwks_url: Some(jwks.url()),
            jwt_issuer: Some(ISSUER.to_owned()),
            jwt_audience: Some(AUDIENCE.to_owned()),
            jwks_refetch_interval: refetch_interval,
        }),
        configure,
        ..AppOptions::default()
    })
    .await;
    Console { app, jwks, key }
}

/// Starts a server trusting a fresh IdP, with the default refetch interval.
pub async fn spawn_console() -> Console {
    spawn_console_refetching_after(Duration::from_secs(10)).await
}

impl Console {
    /// A valid token for `role` in the app's tenant.
    pub fn token(&self, role: &str) -> String {
        self.key.sign(&claims(Some("acme"), role))
    }

    /// A valid operator token.
    pub fn operator(&self) -> String {
        self.key.sign(&claims(None, "operator"))
    }

    /// A request with `Authorization: Bearer token`.
    pub fn call(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(token)
    }
}

/// The status and JSON body of a response.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.text().await.expect("a body");
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    (status, json)
}

/// Asserts a problem document with this status, and returns its detail.
pub async fn problem(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    if status == StatusCode::UNAUTHORIZED {
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
    let (_, body) = json_of(response).await;
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["type"], "about:blank");
    assert!(body["title"].is_string());
    body["detail"].as_str().expect("a detail").to_owned()
}
