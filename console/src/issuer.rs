//! The built-in issuer: console tokens signed with an Ed25519 key derived
//! from the master key, so every node that shares the master key verifies
//! them with no further configuration. For local use and for deployments
//! without an identity provider; `signet console token` mints them.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use ring::digest::{digest, SHA256};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde::Serialize;
use zeroize::Zeroizing;

use super::role::Role;

/// The `iss` of built-in tokens.
pub const ISSUER: &str = "signet";
/// The `aud` of built-in tokens.
pub const AUDIENCE: &str = "signet-console";
/// What the signing seed is derived for; changing it changes every node's key.
const PURPOSE: &[u8] = b"signet console token signing key, Ed25519, v1";
/// PKCS#8 v1 of an Ed25519 key is this prefix and the 32-byte seed (RFC 8410).
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Signs and verifies the built-in tokens.
pub struct BuiltInIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The public key, base64url: the JWK's `x`.
    x: String,
    kid: String,
}

/// Who a token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The token's `sub`.
    pub subject: String,
    /// The tenant's name; `None` for a platform operator.
    pub tenant: Option<String>,
    /// What the subject may do.
    pub role: Role,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    role: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
}

impl BuiltInIssuer {
    /// The issuer whose key `derive` makes for its purpose: the server
    /// passes its storage's derivation from the current master key, so
    /// every node sharing that key signs and verifies alike.
    pub fn of(derive: impl FnOnce(&[u8]) -> Zeroizing<[u8; 32]>) -> Self {
        Self::from_seed(&derive(PURPOSE))
    }

    fn from_seed(seed: &[u8; 32]) -> Self {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).expect("any 32 bytes are a seed");
        let public = pair.public_key().as_ref();
        let mut pkcs8 = Zeroizing::new(PKCS8_PREFIX.to_vec());
        pkcs8.extend_from_slice(seed);
        let x = URL_SAFE_NO_PAD.encode(public);
        let fingerprint = digest(&SHA256, public);
        let kid = fingerprint.as_ref()[..8]
            .iter()
            .fold(String::from("signet-"), |mut s, b| {
                s.push_str(&format!("{b:02x}"));
                s
            });
        Self {
            encoding: EncodingKey::from_ed_der(&pkcs8),
            decoding: DecodingKey::from_ed_components(&x).expect("a valid Ed25519 public key"),
            x,
            kid,
        }
    }

    /// The key id its tokens carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key that verifies its tokens.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// Its JWKS: one OKP (Ed25519) key.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({"keys": [{
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x,
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }]})
    }

    /// A token for `grant`, valid from now for `ttl`.
    pub fn mint(&self, grant: &Grant, ttl: Duration) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: ISSUER,
            aud: AUDIENCE,
            sub: &grant.subject,
            tenant: grant.tenant.as_deref(),
            role: grant.role.as_str(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(ttl.as_secs()),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }
}

impl fmt::Debug for BuiltInIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BuiltInIssuer({})", self.kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_key_and_another_seed_another() {
        let a = BuiltInIssuer::from_seed(&[7; 32]);
        let b = BuiltInIssuer::from_seed(&[7; 32]);
        let c = BuiltInIssuer::from_seed(&[8; 32]);
        assert_eq!(a.jwks(), b.jwks());
        assert_ne!(a.kid(), c.kid());
        assert!(!format!("{a:?}").contains(&a.x));
    }

    #[test]
    fn a_minted_token_verifies_with_the_published_key() {
        let issuer = BuiltInIssuer::from_seed(&[1; 32]);
        let grant = Grant {
            subject: "ops@example.com".into(),
            tenant: Some("acme".into()),
            role: Role::Admin,
        };
        let token = issuer.mint(&grant, Duration::from_secs(60)).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        let data =
            jsonwebtoken::decode::<serde_json::Value>(&token, issuer.decoding_key(), &validation)
                .unwrap();
        assert_eq!(data.header.kid.as_deref(), Some(issuer.kid()));
        assert_eq!(data.claims["tenant"], "acme");
        assert_eq!(data.claims["role"], "admin");
    }
}
