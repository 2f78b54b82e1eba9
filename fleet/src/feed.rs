//! `GET /fleet/v1/keys`: the keys of the fleet's domains, with their
//! private keys, under a strong ETag.

use std::io;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use signet_domain::{FleetFeed, FleetTokenHash};
use zeroize::Zeroizing;

use super::cache::Rendered;
use super::extract::FleetCaller;
use super::FleetState;
use crate::error::{unauthorized, Problem};
use crate::wire::FeedBody;

/// A growing buffer that wipes every allocation it outgrows, so the
/// serialized keys leave no copy behind in freed memory.
struct WipedBuffer(Zeroizing<Vec<u8>>);

impl io::Write for WipedBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let needed = self.0.len() + bytes.len();
        if needed > self.0.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(2 * self.0.capacity())));
            grown.extend_from_slice(&self.0);
            // The old allocation is wiped as it drops.
            self.0 = grown;
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A rendered body shared with a response without a copy.
struct SharedBody(Arc<Zeroizing<Vec<u8>>>);

impl AsRef<[u8]> for SharedBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The feed in JSON and its ETag: the quoted hex SHA-256 of the body.
pub fn render(feed: FleetFeed) -> Rendered {
    let body = FeedBody::of(&feed);
    // Room for the keys with their escaped line ends, so it seldom grows.
    let room = 1024
        + body
            .keys
            .iter()
            .map(|k| 2 * k.private_key.len() + 512)
            .sum::<usize>();
    let mut out = WipedBuffer(Zeroizing::new(Vec::with_capacity(room)));
    serde_json::to_writer(&mut out, &body).expect("the feed always serializes");
    let body = out.0;
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    Rendered {
        access: feed.access,
        body: Arc::new(body),
        etag: format!("\"{hex}\""),
    }
}

/// Read the fleet's keys.
///
/// Poll it with the last `ETag` in `If-None-Match`: an unchanged feed is
/// 304 with no body, served from memory.
#[utoipa::path(
    get,
    path = "/fleet/v1/keys",
    tag = "Feed",
    params(
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of the feed the fleet holds (or a list of them, or `*`)"),
    ),
    responses(
        (status = 200, description = "The keys of the fleet's domains", body = FeedBody,
         headers(
            ("ETag" = String, description = "Strong: the quoted hex SHA-256 of the body"),
            ("Cache-Control" = String, description = "`no-cache`: revalidate every time"),
         )),
        (status = 304, description = "Unchanged since the `ETag` sent",
         headers(("ETag" = String, description = "The same ETag"))),
    )
)]
#[tracing::instrument(skip_all, fields(tenant, fleet), err(Display, level = "info"))]
pub async fn keys(
    caller: FleetCaller,
    State(state): State<FleetState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let FleetCaller { token, origin } = caller;
    let hash = FleetTokenHash::of(token.expose());
    let rendered = match state.cache.get(&hash) {
        Ok(cached) => cached,
        Err(miss) => {
            let rendered = match miss.cached() {
                Some(cached) => checked(&state, token.expose(), cached).await?,
                None => read(&state, token.expose()).await?,
            };
            state.cache.put(hash.clone(), miss, rendered.clone());
            rendered
        }
    };
    let Some(rendered) = rendered else {
        return Err(unauthorized("the fleet token is unknown or revoked"));
    };
    let span = tracing::Span::current();
    span.record("tenant", rendered.access.tenant.name.as_str());
    span.record("fleet", rendered.access.fleet.name.as_str());
    let etag = HeaderValue::from_str(&rendered.etag).expect("a quoted hex digest is a header");
    if matches(&headers, &rendered.etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(ETAG, etag);
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Ok(response);
    }
    // Recorded before the keys leave: no changed feed is served unaudited.
    if rendered.access.last_read.as_deref() != Some(rendered.etag.as_str()) {
        let origin = origin.of_fleet(&rendered.access.fleet.name);
        state
            .core
            .record_fleet_read(&rendered.access, &origin, &rendered.etag)
            .await?;
        state.cache.recorded(&hash, &rendered.etag);
    }
    let body = Bytes::from_owner(SharedBody(rendered.body.clone()));
    let mut response = Response::new(Body::from(body));
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    out.insert(ETAG, etag);
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The feed of the fleet `token` belongs to, read and rendered; `None` if
/// the token is not live.
async fn read(state: &FleetState, token: &str) -> Result<Option<Arc<Rendered>>, Problem> {
    let feed = state.core.fleet_feed(token).await?;
    Ok(feed.map(|feed| Arc::new(render(feed))))
}

/// The cached feed again if its token is still live and its fleet
/// unchanged, at the cost of one indexed read; `None` if the token was
/// revoked; the feed read afresh if the fleet changed.
async fn checked(
    state: &FleetState,
    token: &str,
    cached: &Arc<Rendered>,
) -> Result<Option<Arc<Rendered>>, Problem> {
    match state.core.fleet_access(token).await? {
        None => Ok(None),
        Some(access)
            if access.fleet == cached.access.fleet
                && access.tenant.id == cached.access.tenant.id =>
        {
            Ok(Some(Arc::new(Rendered {
                access,
                body: cached.body.clone(),
                etag: cached.etag.clone(),
            })))
        }
        Some(_) => read(state, token).await,
    }
}

/// Whether `If-None-Match` names `etag`: one of its comma-separated ETags
/// (weak ones compared weakly, as RFC 9110 says for this header), or `*`.
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_wiped_buffer_keeps_every_byte_as_it_grows() {
        let mut out = WipedBuffer(Zeroizing::new(Vec::with_capacity(1)));
        for chunk in [&b"ab"[..], b"", b"cdefgh", b"i"] {
            io::Write::write_all(&mut out, chunk).unwrap();
        }
        assert_eq!(out.0.as_slice(), b"abcdefghi");
    }

    #[test]
    fn if_none_match_takes_one_etag_a_list_a_weak_one_or_a_star() {
        let etag = "\"ab12\"";
        assert!(matches(&with(&["\"ab12\""]), etag));
        assert!(matches(&with(&["\"x\", \"ab12\""]), etag));
        assert!(matches(&with(&["\"x\"", "\"ab12\""]), etag));
        assert!(matches(&with(&["W/\"ab12\""]), etag));
        assert!(matches(&with(&["*"]), etag));
        assert!(!matches(&with(&[]), etag));
        assert!(!matches(&with(&["\"ab1\""]), etag));
        assert!(!matches(&with(&["ab12"]), etag));
    }
}
