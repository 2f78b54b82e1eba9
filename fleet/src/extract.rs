//! Who reads the feed: a fleet token in `Authorization: Bearer`, and
//! failures as `application/problem+json` with a Bearer challenge.

use axum::extract::{FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use secrecy::{ExposeSecret as _, SecretString};
use signet_domain::{Actor, FleetName, FleetToken, FleetTokenHash, Origin, Via};

use super::FleetState;
use crate::error::{unauthorized, Problem};

/// The rate-limit bucket of a fleet token, by its hash: set on feed
/// requests that present a well-formed one, for the server's limiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetBucket(pub String);

/// Names the rate-limit bucket of a request presenting a well-formed fleet
/// token (`fleet:` and the token's hash), so each fleet has a budget of its
/// own, as each API key does.
pub async fn rate_bucket(mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| FleetToken::is_well_formed(token));
    if let Some(token) = token {
        let bucket = format!("fleet:{}", FleetTokenHash::of(token).0);
        req.extensions_mut().insert(FleetBucket(bucket));
    }
    next.run(req).await
}

/// A presented fleet token of the right shape (not yet checked against the
/// store), and where the request comes from.
pub struct FleetCaller {
    /// The token; never logged.
    pub token: PresentedToken,
    /// The request's id and peer, for the audit trail.
    pub origin: RequestOrigin,
}

/// A token as presented.
pub struct PresentedToken(SecretString);

impl PresentedToken {
    /// The token itself.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Where a feed request comes from, until the token names its fleet.
pub struct RequestOrigin(Origin);

impl RequestOrigin {
    /// The origin of a read by `fleet`.
    pub fn of_fleet(self, fleet: &FleetName) -> Origin {
        Origin {
            actor: Actor::Fleet {
                name: fleet.to_string(),
            },
            ..self.0
        }
    }
}

impl FromRequestParts<FleetState> for FleetCaller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &FleetState,
    ) -> Result<Self, Self::Rejection> {
        let token = signet_http_kit::bearer_token(parts).ok_or_else(|| {
            unauthorized("a fleet token is required: Authorization: Bearer sgf_...")
        })?;
        if !FleetToken::is_well_formed(token) {
            return Err(unauthorized(
                "not a fleet token: they start with sgf_ (an API key is no fleet credential)",
            ));
        }
        // The actor is known once the token is looked up.
        let origin = RequestOrigin(signet_http_kit::origin(parts, Actor::System, Via::Fleet));
        Ok(Self {
            token: PresentedToken(SecretString::from(token.to_owned())),
            origin,
        })
    }
}
