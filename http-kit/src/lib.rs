//! What every HTTP front end shares: the `application/problem+json` document
//! ([`problem`]), the origin of a request for the audit trail, the request
//! id header, the bearer token, `Retry-After` rounding and the OpenAPI
//! completion ([`openapi`]).
//! It names no storage and no other front end.

pub mod openapi;
pub mod problem;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use signet_domain::{Actor, Origin, Via};

/// The request id header, generated when absent and echoed back.
pub const REQUEST_ID: &str = "x-request-id";

/// Where a request comes from: `actor` through `via`, with the request's id
/// and the peer's address.
pub fn origin(parts: &Parts, actor: Actor, via: Via) -> Origin {
    Origin {
        actor,
        via,
        request_id: parts
            .headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip()),
    }
}

/// The token of `Authorization: Bearer TOKEN` (scheme in any case, spaces
/// trimmed); `None` when the header is absent, of another scheme or empty.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A wait in whole seconds for `Retry-After`: rounded up, and never 0, so a
/// client retrying after it finds a token.
pub fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_at_least_a_second() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(2001)), 3);
    }

    #[test]
    fn the_origin_carries_the_request_id_and_the_peer() {
        let mut request = axum::http::Request::builder()
            .header(REQUEST_ID, "req-1")
            .body(())
            .unwrap();
        let peer: SocketAddr = "192.0.2.7:4000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let (parts, ()) = request.into_parts();
        let origin = origin(&parts, Actor::System, Via::Console);
        assert_eq!(origin.request_id.as_deref(), Some("req-1"));
        assert_eq!(origin.ip, Some(peer.ip()));
    }
}
