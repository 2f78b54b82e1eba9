//! The error shape of the console and the fleet feed:
//! `application/problem+json` (RFC 9457), and how core errors and request
//! rejections become one.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use signet_domain::excerpt::scrub;
use signet_domain::{Chain, Error};
use utoipa::ToSchema;

/// The media type of every problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request; never holds a token or a key.
    pub detail: String,
}

/// A failed request.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    detail: String,
    retry_after: Option<u64>,
    /// The realm of a 401's Bearer challenge.
    realm: Option<&'static str>,
}

impl Problem {
    /// A problem with this status and explanation. Whatever the explanation
    /// quotes of the request goes through [`scrub`]: it is written back to
    /// the client and into the log, so only excerpts of client input stay
    /// and key material never does, whichever handler wrote it.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: scrub(&detail.into()),
            retry_after: None,
            realm: None,
        }
    }

    /// 401, with `WWW-Authenticate: Bearer realm="<realm>"`.
    pub fn unauthorized(realm: &'static str, detail: impl Into<String>) -> Self {
        Self {
            realm: Some(realm),
            ..Self::new(StatusCode::UNAUTHORIZED, detail)
        }
    }

    /// 403: authenticated, but the role does not allow it.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 400: the request is malformed or a field is invalid.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status.as_u16(), self.detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemDetails {
            kind: "about:blank".to_owned(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(realm) = self.realm {
            let challenge = format!("Bearer realm=\"{realm}\"");
            if let Ok(challenge) = HeaderValue::from_str(&challenge) {
                headers.insert(WWW_AUTHENTICATE, challenge);
            }
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        match &e {
            Error::NotFound(_) => Self::new(StatusCode::NOT_FOUND, e.to_string()),
            Error::Conflict(_) => Self::new(StatusCode::CONFLICT, e.to_string()),
            Error::Rule(rule) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, rule.to_string()),
            Error::Busy { retry_after, .. } => {
                tracing::warn!(error = %Chain(&e), "busy");
                Self {
                    retry_after: Some(retry_after.as_secs().max(1)),
                    ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy; try again later")
                }
            }
            Error::Unavailable(_) => {
                tracing::warn!(error = %Chain(&e), "a backing service is unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "a backing service is unavailable; try again later",
                )
            }
            Error::Internal(_) => {
                tracing::error!(error = %Chain(&e), "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        let status = match rejection {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        // The parser quotes the body it failed on: `new` keeps excerpts only.
        Self::new(status, rejection.body_text())
    }
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Self {
        // An id that is not a number names no key: the same 404 as an unknown one.
        Self::new(
            StatusCode::NOT_FOUND,
            format!("not found: {}", rejection.body_text()),
        )
    }
}

/// A JSON object body whose rejection is a problem document. Only an
/// object is a body: serde would also read a struct from an array of its
/// fields in order (`[true]`), which no document describes.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(Problem::bad_request("the body must be a JSON object"));
        }
        serde_json::from_value(value).map(Self).map_err(|e| {
            Problem::bad_request(format!(
                "Failed to deserialize the JSON body into the target type: {e}"
            ))
        })
    }
}

/// A query string whose rejection is a problem document.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct Query<T>(pub T);

/// A path parameter whose rejection is a problem document.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct Path<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rejected_body_is_not_echoed_beyond_an_excerpt() {
        use axum::extract::FromRequest as _;
        #[derive(Debug, serde::Deserialize)]
        struct Count {
            #[allow(dead_code)]
            n: i64,
        }
        let secret = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
        let body = format!("{{\"n\": \"{secret}\"}}");
        let request = axum::http::Request::builder()
            .method("POST")
            .header(CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        let Err(problem) = Body::<Count>::from_request(request, &()).await else {
            panic!("malformed JSON is refused");
        };
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        assert!(problem.detail.contains("<redacted>"), "{}", problem.detail);
        assert!(
            !problem.detail.contains(&secret[..30]),
            "{}",
            problem.detail
        );
    }

    #[tokio::test]
    async fn a_401_is_problem_json_with_a_bearer_challenge() {
        let response = Problem::unauthorized("signet-console", "no token").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_JSON);
        assert!(response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=\"signet-console\""));
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "no token"})
        );
    }
}
