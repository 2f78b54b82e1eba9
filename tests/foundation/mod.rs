//! The foundation: health, auth, limits, database waits, observability and
//! docs, over HTTP.

mod auth;
mod connections;
mod database_waits;
mod docs;
mod echo;
mod health;
mod key_pool;
mod keygen;
mod limits;
mod observability;
mod rotation;
mod round_trips;
mod slow_clients;
mod tls;

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A Mailgun path that needs credentials.
const MAILGUN_KEYS: &str = "/v1/dkim/keys";
/// A GreenArrow path that needs credentials.
const GREENARROW_KEYS: &str = "/ga/api/v3/eng/dkim_keys";

/// Asserts a body is Mailgun's error shape: `{"message": "..."}`.
fn assert_mailgun_error(body: &Value) {
    assert!(body["message"].is_string(), "not a Mailgun error: {body}");
}

/// Asserts a body is GreenArrow's failure envelope.
fn assert_greenarrow_error(body: &Value) {
    assert_eq!(body["success"], Value::Bool(false), "{body}");
    assert!(body["error_code"].is_string(), "{body}");
    assert!(body["error_messages"].is_array(), "{body}");
}

/// Asserts a body is in one dialect's error shape.
type ErrorShape = fn(&Value);

/// Each dialect's path that needs credentials, with its error shape.
const DIALECTS: [(&str, ErrorShape); 2] = [
    (MAILGUN_KEYS, assert_mailgun_error),
    (GREENARROW_KEYS, assert_greenarrow_error),
];

/// Writes `head` and then `body` on a fresh connection and reads the answer
/// until the server closes it: for requests reqwest will not send (a body
/// that never ends, chunked uploads).
async fn raw_exchange(port: u16, head: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the server accepts connections");
    stream.write_all(head.as_bytes()).await.expect("head sent");
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    parse_response(&answer)
}

/// The status and JSON body of a raw HTTP/1.1 response.
fn parse_response(raw: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (status, json)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
