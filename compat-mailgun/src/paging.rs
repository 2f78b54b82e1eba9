//! Paging of key lists: opaque `page` tokens over the core's [`PageStart`],
//! and the absolute `paging` URLs Mailgun's clients follow.

use axum::extract::FromRequestParts;
use axum::http::header::HOST;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use signet_domain::{cursor, KeyId, PageStart};

use crate::error::MailgunError;
use crate::wire::links::PagingResponse;
use crate::AppState;

/// Where a page starts: what a `page` token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", content = "id", rename_all = "lowercase")]
pub enum Cursor {
    /// The first keys.
    First,
    /// The last keys.
    Last,
    /// Keys after this id.
    After(i64),
    /// Keys before this id.
    Before(i64),
}

impl Cursor {
    /// The token: base64url of a small JSON object.
    pub fn encode(self) -> String {
        cursor::encode(&self)
    }

    /// Reads a token made by [`Cursor::encode`].
    pub fn decode(token: &str) -> Result<Self, MailgunError> {
        cursor::decode(token).ok_or_else(|| {
            MailgunError::invalid(
                "page",
                "must be a token from a paging URL of a previous answer",
            )
        })
    }

    /// The core's view of it.
    pub fn start(self) -> PageStart {
        match self {
            Self::First => PageStart::First,
            Self::Last => PageStart::Last,
            Self::After(id) => PageStart::After(KeyId(id)),
            Self::Before(id) => PageStart::Before(KeyId(id)),
        }
    }

    /// The cursors of the pages after and before a page that started here and
    /// holds these ids (ascending). An empty page's neighbours stay where it
    /// is, so following `next` past the end keeps giving empty pages.
    pub fn neighbours(self, ids: &[KeyId]) -> (Cursor, Cursor) {
        match (ids.first(), ids.last()) {
            (Some(first), Some(last)) => (Self::After(last.0), Self::Before(first.0)),
            _ => match self {
                Self::After(id) => (Self::After(id), Self::Before(id.saturating_add(1))),
                Self::Before(id) => (Self::After(id.saturating_sub(1)), Self::Before(id)),
                Self::First | Self::Last => (self, self),
            },
        }
    }
}

/// The scheme and host clients reached us at: `http://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    fn of(headers: &HeaderMap, authority: Option<&str>, trust_forwarded: bool) -> Option<Self> {
        let forwarded = |name: &str| {
            trust_forwarded
                .then(|| headers.get(name)?.to_str().ok())
                .flatten()
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let scheme = forwarded("x-forwarded-proto")
            .map(str::to_ascii_lowercase)
            .filter(|p| p == "http" || p == "https")
            .unwrap_or_else(|| "http".to_owned());
        let host = forwarded("x-forwarded-host")
            .filter(|h| is_host(h))
            .or_else(|| headers.get(HOST)?.to_str().ok().filter(|h| is_host(h)))
            .or_else(|| authority.filter(|h| is_host(h)))?;
        Some(Self(format!("{scheme}://{host}")))
    }

    /// An absolute URL of `path` with these query parameters.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer.extend_pairs(query);
        format!("{}{path}?{}", self.0, serializer.finish())
    }

    /// The four paging links of a page that started at `start` and holds `ids`.
    /// `query` holds the other parameters (limit, filters) each link repeats.
    pub fn paging(
        &self,
        path: &str,
        start: Cursor,
        ids: &[KeyId],
        query: &[(&str, &str)],
    ) -> PagingResponse {
        let link = |cursor: Cursor| {
            let token = cursor.encode();
            let mut params = vec![("page", token.as_str())];
            params.extend_from_slice(query);
            self.url(path, &params)
        };
        let (next, previous) = start.neighbours(ids);
        PagingResponse {
            previous: link(previous),
            first: link(Cursor::First),
            next: link(next),
            last: link(Cursor::Last),
        }
    }
}

/// Letters, digits and the punctuation of host names, IPv6 literals and ports.
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
}

impl FromRequestParts<AppState> for Origin {
    type Rejection = MailgunError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, MailgunError> {
        Self::of(
            &parts.headers,
            parts.uri.authority().map(|a| a.as_str()),
            state.config.trust_forwarded_headers,
        )
        .ok_or_else(|| MailgunError::bad_request("a Host header is required to build paging URLs"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cursors_survive_their_tokens() {
        for cursor in [
            Cursor::First,
            Cursor::Last,
            Cursor::After(42),
            Cursor::Before(7),
        ] {
            assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        }
    }

    #[test]
    fn garbage_tokens_are_rejected() {
        for token in [
            "",
            "string",
            "!!!",
            &cursor::encode(&serde_json::json!({"at": "sideways"})),
        ] {
            assert!(Cursor::decode(token).is_err(), "{token}");
        }
    }

    #[test]
    fn a_full_page_points_past_its_ends() {
        let ids = [KeyId(3), KeyId(4)];
        assert_eq!(
            Cursor::First.neighbours(&ids),
            (Cursor::After(4), Cursor::Before(3))
        );
    }

    #[test]
    fn an_empty_page_after_the_end_stays_there() {
        assert_eq!(
            Cursor::After(9).neighbours(&[]),
            (Cursor::After(9), Cursor::Before(10))
        );
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "api.example.com, proxy.internal"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            Origin::of(&h, None, false).unwrap().0,
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            Origin::of(&h, None, true).unwrap().0,
            "https://api.example.com"
        );
    }

    #[test]
    fn hosts_that_could_inject_text_are_ignored() {
        let h = headers(&[("host", "a.example/evil?x=")]);
        assert!(Origin::of(&h, None, false).is_none());
        assert_eq!(
            Origin::of(&h, Some("b.example"), false).unwrap().0,
            "http://b.example"
        );
    }
}
