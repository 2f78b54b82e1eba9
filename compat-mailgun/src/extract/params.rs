//! Request parameters, wherever Mailgun's clients put them: the query string,
//! an urlencoded body, a multipart body (with file parts), or a JSON object,
//! on every method. Body values win over query values and the first of
//! repeated names wins. A body without a `Content-Type` is not read.

use axum::body::{Body, Bytes};
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use signet_domain::excerpt::{excerpt, scrub};

use crate::error::MailgunError;

/// One body parameter's value. No `Debug`: a value may be a private key.
enum Value {
    /// An urlencoded, JSON or multipart text value.
    Text(String),
    /// The content of a multipart file part.
    File(Vec<u8>),
}

/// Every parameter of a request. Its `Debug` lists names only, since a value
/// may be a private key.
#[derive(Default)]
pub struct Params {
    body: Vec<(String, Value)>,
    query: Vec<(String, String)>,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = self
            .body
            .iter()
            .map(|(n, _)| n)
            .chain(self.query.iter().map(|(n, _)| n));
        f.debug_struct("Params")
            .field("names", &names.collect::<Vec<_>>())
            .finish()
    }
}

impl Params {
    /// The first value given for `name`, body before query.
    fn find(&self, name: &str) -> Option<Found<'_>> {
        if let Some((_, value)) = self.body.iter().find(|(n, _)| n == name) {
            return Some(match value {
                Value::Text(s) => Found::Text(s),
                Value::File(bytes) => Found::File(bytes),
            });
        }
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| Found::Text(s))
    }

    /// A text parameter, trimmed; `None` when absent or empty. A file part
    /// counts as text when it is UTF-8.
    pub fn text(&self, name: &str) -> Result<Option<String>, MailgunError> {
        let raw = match self.find(name) {
            None => return Ok(None),
            Some(Found::Text(s)) => s,
            Some(Found::File(bytes)) => std::str::from_utf8(bytes)
                .map_err(|_| MailgunError::invalid(name, "must be text"))?,
        };
        let trimmed = raw.trim();
        Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
    }

    /// A boolean: `true`/`false`, `yes`/`no` or `1`/`0`, in any case.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, MailgunError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
            _ => Err(MailgunError::invalid(
                name,
                "must be a boolean: true or false, yes or no, 1 or 0",
            )),
        }
    }

    /// A whole number.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, MailgunError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        text.parse()
            .map(Some)
            .map_err(|_| MailgunError::invalid(name, "must be an integer"))
    }

    /// The raw bytes of a parameter, text or file part, untrimmed.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        match self.find(name)? {
            Found::Text(s) => Some(s.as_bytes()),
            Found::File(bytes) => Some(bytes),
        }
    }
}

/// A value found for a name.
enum Found<'a> {
    Text(&'a str),
    File(&'a [u8]),
}

/// What a body is, by its `Content-Type`.
enum BodyKind {
    UrlEncoded,
    Multipart,
    Json,
    None,
    Other(String),
}

fn body_kind(req: &Request) -> BodyKind {
    let Some(value) = req.headers().get(CONTENT_TYPE) else {
        return BodyKind::None;
    };
    let value = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => BodyKind::UrlEncoded,
        "multipart/form-data" => BodyKind::Multipart,
        "application/json" => BodyKind::Json,
        "" => BodyKind::None,
        _ => BodyKind::Other(essence),
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = MailgunError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req
            .uri()
            .query()
            .map(|q| pairs(q.as_bytes()))
            .unwrap_or_default();
        let body = match body_kind(&req) {
            BodyKind::None => Vec::new(),
            BodyKind::UrlEncoded => {
                let bytes = read(req, state).await?;
                pairs(&bytes)
                    .into_iter()
                    .map(|(n, v)| (n, Value::Text(v)))
                    .collect()
            }
            BodyKind::Json => json_fields(&read(req, state).await?)?,
            BodyKind::Multipart => multipart_fields(req, state).await?,
            BodyKind::Other(kind) => {
                if read(req, state).await?.is_empty() {
                    Vec::new()
                } else {
                    return Err(MailgunError::bad_request(format!(
                        "unsupported Content-Type {}: send multipart/form-data or application/x-www-form-urlencoded",
                        excerpt(&kind)
                    )));
                }
            }
        };
        Ok(Self { body, query })
    }
}

fn pairs(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input).into_owned().collect()
}

async fn read<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, MailgunError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|e: BytesRejection| body_error(e.status(), &e.body_text()))
}

fn body_error(status: StatusCode, detail: &str) -> MailgunError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        MailgunError::from_status(status, "request body is too large")
    } else {
        MailgunError::bad_request(format!("cannot read the request body: {}", scrub(detail)))
    }
}

/// The top-level fields of a JSON object; scalars become text.
fn json_fields(bytes: &[u8]) -> Result<Vec<(String, Value)>, MailgunError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        MailgunError::bad_request(format!("malformed JSON body: {}", scrub(&e.to_string())))
    })?;
    let serde_json::Value::Object(object) = value else {
        return Err(MailgunError::bad_request("a JSON body must be an object"));
    };
    let mut fields = Vec::with_capacity(object.len());
    for (name, value) in object {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                return Err(MailgunError::invalid(
                    &name,
                    "must be a string, number or boolean",
                ));
            }
        };
        fields.push((name, Value::Text(text)));
    }
    Ok(fields)
}

async fn multipart_fields<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Vec<(String, Value)>, MailgunError> {
    let headers = req.headers().clone();
    let bytes = read(req, state).await?;
    if has_no_parts(&bytes, &headers) {
        return Ok(Vec::new());
    }
    let mut req = Request::new(Body::from(bytes));
    *req.headers_mut() = headers;
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| malformed_multipart(&e.body_text()))?;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        let is_file = field.file_name().is_some();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        let value = if is_file {
            Value::File(bytes.to_vec())
        } else {
            Value::Text(
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| MailgunError::invalid(&name, "must be UTF-8 text"))?,
            )
        };
        fields.push((name, value));
    }
    Ok(fields)
}

/// An empty body, or only the closing delimiter: what clients send for a
/// form with no fields, which multipart parsers call incomplete.
fn has_no_parts(body: &[u8], headers: &HeaderMap) -> bool {
    let body = body.trim_ascii();
    if body.is_empty() {
        return true;
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = content_type.split(';').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
    });
    boundary.is_some_and(|b| body == format!("--{b}--").as_bytes())
}

fn multipart_error(e: MultipartError) -> MailgunError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        body_error(e.status(), "")
    } else {
        malformed_multipart(&e.body_text())
    }
}

/// multer's messages quote field names, which a client chooses.
fn malformed_multipart(detail: &str) -> MailgunError {
    MailgunError::bad_request(format!("malformed multipart body: {}", scrub(detail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(body: &[(&str, &str)], query: &[(&str, &str)]) -> Params {
        Params {
            body: body
                .iter()
                .map(|(n, v)| (n.to_string(), Value::Text(v.to_string())))
                .collect(),
            query: query
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn booleans_are_read_in_every_spelling_and_case() {
        for (text, value) in [
            ("TRUE", true),
            ("yes", true),
            ("1", true),
            ("False", false),
            ("NO", false),
            ("0", false),
        ] {
            assert_eq!(
                params(&[("self", text)], &[]).boolean("self"),
                Ok(Some(value))
            );
        }
        assert!(params(&[("self", "maybe")], &[]).boolean("self").is_err());
        assert_eq!(params(&[("self", "")], &[]).boolean("self"), Ok(None));
    }

    #[test]
    fn the_body_wins_over_the_query_and_the_first_value_wins() {
        let p = params(
            &[("a", "body"), ("a", "later")],
            &[("a", "query"), ("b", "q1"), ("b", "q2")],
        );
        assert_eq!(p.text("a"), Ok(Some("body".into())));
        assert_eq!(p.text("b"), Ok(Some("q1".into())));
        assert_eq!(p.text("c"), Ok(None));
    }

    #[test]
    fn a_file_part_is_text_when_it_is_utf8() {
        let p = Params {
            body: vec![
                ("pem".into(), Value::File(b"-----BEGIN".to_vec())),
                ("bin".into(), Value::File(vec![0xff])),
            ],
            query: Vec::new(),
        };
        assert_eq!(p.text("pem"), Ok(Some("-----BEGIN".into())));
        assert!(p.text("bin").is_err());
        assert_eq!(p.bytes("bin"), Some(&[0xff][..]));
    }

    #[test]
    fn json_scalars_become_text_and_nulls_are_absent() {
        let fields =
            json_fields(br#"{"bits": 1024, "self": true, "pem": null, "selector": "s1"}"#).unwrap();
        let mut names: Vec<_> = fields.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["bits", "selector", "self"]);
        assert!(json_fields(b"  ").unwrap().is_empty());
        assert!(json_fields(b"[]").is_err());
    }

    #[test]
    fn a_multipart_body_of_only_the_closing_delimiter_has_no_parts() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            "multipart/form-data; boundary=\"xyz\"".parse().unwrap(),
        );
        assert!(has_no_parts(b"--xyz--\r\n", &headers));
        assert!(has_no_parts(b"", &headers));
        assert!(!has_no_parts(b"--xyz\r\n", &headers));
    }
}
