//! Who reads the feed: a fleet token in `Authorization: Bearer`, and
//! failures as `application/problem+json` with a Bearer challenge.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};
use signet_domain::{Actor, Error, FleetName, FleetToken, FleetTokenHash, Origin, Via};

use crate::console::problem::Problem;
use crate::ratelimit::FleetBucket;

use super::FleetState;

/// A failed feed request: the console's problem document, with the feed's
/// own challenge on a 401.
#[derive(Debug)]
pub struct FleetProblem(Problem);

impl FleetProblem {
    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(detail: &str) -> Self {
        Self(Problem::unauthorized(detail))
    }
}

impl std::fmt::Display for FleetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Error> for FleetProblem {
    fn from(e: Error) -> Self {
        Self(Problem::from(e))
    }
}

impl IntoResponse for FleetProblem {
    fn into_response(self) -> Response {
        let unauthorized = self.0.status() == StatusCode::UNAUTHORIZED;
        let mut response = self.0.into_response();
        if unauthorized {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"signet-fleet\""),
            );
        }
        response
    }
}

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

/// The request id and peer address of a feed request.
pub struct RequestOrigin {
    request_id: Option<String>,
    ip: Option<std::net::IpAddr>,
}

impl RequestOrigin {
    /// The origin of a read by `fleet`.
    pub fn of_fleet(self, fleet: &FleetName) -> Origin {
        Origin {
            actor: Actor::Fleet {
                name: fleet.to_string(),
            },
            via: Via::Fleet,
            request_id: self.request_id,
            ip: self.ip,
        }
    }
}

impl FromRequestParts<FleetState> for FleetCaller {
    type Rejection = FleetProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &FleetState,
    ) -> Result<Self, Self::Rejection> {
        let missing = || {
            FleetProblem::unauthorized("a fleet token is required: Authorization: Bearer sgf_...")
        };
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(missing)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(missing());
        }
        if !FleetToken::is_well_formed(token) {
            return Err(FleetProblem::unauthorized(
                "not a fleet token: they start with sgf_ (an API key is no fleet credential)",
            ));
        }
        let origin = RequestOrigin {
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip()),
        };
        Ok(Self {
            token: PresentedToken(SecretString::from(token.to_owned())),
            origin,
        })
    }
}
