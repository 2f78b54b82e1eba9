//! Who is calling: every request leaves here with an [`Authentication`] in its
//! extensions, and an authenticated one with its [`AuthenticatedKey`] and its
//! [`Actor`] (the API key's id, for the audit trail) too.
//! Each dialect answers `Rejected` with its own 401. The core answers from
//! its authentication cache (`signet_domain::auth_cache`): a revocation on
//! this node holds on the next request, one elsewhere within a second.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use signet_domain::tenant::ApiKeyHash;
use signet_domain::{Actor, Authentication, Chain, Signet};

/// The API key that authenticated a request, as its hash (never the key
/// itself): what the rate limiter counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedKey(pub ApiKeyHash);

/// Authenticates the request and records its tenant on the request span.
pub async fn authenticate(State(core): State<Signet>, mut req: Request, next: Next) -> Response {
    let auth = match presented_key(req.headers()) {
        None => Authentication::Rejected,
        Some(key) => match core.authenticate(key.expose_secret()).await {
            Ok(Some((tenant, id))) => {
                tracing::Span::current().record("tenant", tenant.name.as_str());
                let hash = ApiKeyHash::of(key.expose_secret());
                req.extensions_mut().insert(AuthenticatedKey(hash));
                req.extensions_mut().insert(Actor::ApiKey(id));
                Authentication::Authenticated(tenant)
            }
            Ok(None) => Authentication::Rejected,
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "cannot check credentials");
                Authentication::Unavailable
            }
        },
    };
    req.extensions_mut().insert(auth);
    next.run(req).await
}

/// The API key in `Authorization: Basic base64(user:KEY)` (any user name) or
/// `Authorization: Bearer KEY`; `None` when absent or malformed.
fn presented_key(headers: &HeaderMap) -> Option<SecretString> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    let credentials = credentials.trim();
    let key = if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD.decode(credentials).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (_user, key) = decoded.split_once(':')?;
        key.to_owned()
    } else if scheme.eq_ignore_ascii_case("bearer") {
        credentials.to_owned()
    } else {
        return None;
    };
    (!key.is_empty()).then(|| SecretString::from(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn key_of(value: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        presented_key(&headers).map(|k| k.expose_secret().to_owned())
    }

    #[test]
    fn basic_credentials_give_the_password_whatever_the_user() {
        let api = format!("Basic {}", STANDARD.encode("api:sgn_key"));
        let other = format!("basic {}", STANDARD.encode("admin@example.com:sgn_key:x"));
        assert_eq!(key_of(&api).as_deref(), Some("sgn_key"));
        assert_eq!(key_of(&other).as_deref(), Some("sgn_key:x"));
    }

    #[test]
    fn bearer_credentials_give_the_token() {
        assert_eq!(key_of("Bearer sgn_key").as_deref(), Some("sgn_key"));
    }

    #[test]
    fn malformed_credentials_give_nothing() {
        let no_colon = format!("Basic {}", STANDARD.encode("sgn_key"));
        let empty_key = format!("Basic {}", STANDARD.encode("api:"));
        for value in [
            "",
            "Basic",
            "Basic !!!",
            &no_colon,
            &empty_key,
            "Bearer ",
            "Digest x",
        ] {
            assert_eq!(key_of(value), None, "{value}");
        }
        assert!(presented_key(&HeaderMap::new()).is_none());
    }
}
