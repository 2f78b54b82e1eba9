//! Nothing a client sends comes back whole from the console or the fleet
//! feed: a PEM private key, a tenant's `sgn_` API key and a 5,000-character
//! string, in every query parameter, body field, path and token a rejection
//! can quote, never appear in the answer nor in `signet serve`'s own log.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use signet_testkit::signet_process::{self, SignetServer};
use tempfile::TempDir;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");

/// The longest run of one input a message may quote (an excerpt is 40).
const LONGEST_QUOTE: usize = 40;

/// A PEM private key's shape: armour and lines of base64 (it need not be a
/// real key: every probe is refused before any key is parsed, or because
/// this one is not a key).
fn pem() -> String {
    let lines: Vec<String> = (0..6)
        .map(|i| format!("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj{i}AgEAAoIBAQC7kV0aW1vb3v9Jx"))
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

/// What no answer and no log line may hold of `input`: its armour, and every
/// run of `width` characters of its lines.
fn pieces(input: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    for line in input.lines() {
        if line.starts_with("-----") {
            pieces.push(line.to_owned());
            continue;
        }
        let chars: Vec<char> = line.chars().filter(|c| !c.is_control()).collect();
        pieces.extend(chars.windows(width).map(|w| w.iter().collect::<String>()));
    }
    pieces.sort();
    pieces.dedup();
    pieces
}

/// `signet ARGS` in `dir`, its standard output.
async fn run_ok(dir: &Path, args: &[&str]) -> String {
    let mut command = signet_process::signet(SIGNET, args);
    command.current_dir(dir);
    let out = signet_process::output(command).await;
    assert!(
        out.status.success(),
        "signet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .trim()
        .to_owned()
}

/// Every request a console or fleet rejection answers, with `secret` where
/// the client's input goes; each is marked with its own request id.
fn probes(client: &reqwest::Client, base: &str, owner: &str, secret: &str) -> Vec<RequestBuilder> {
    let console = |method: Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(owner)
    };
    let get = |path: &str, name: &str| console(Method::GET, path).query(&[(name, secret)]);
    let post = |path: &str, body: Value| console(Method::POST, path).json(&body);
    // One line and one path segment: headers and paths take no newline or slash.
    let flat = secret.replace(|c: char| c.is_control(), " ");
    let segment = urlencoding(secret);
    let key = |field: &str, value: Value| {
        let mut body = json!({"domain": "echo.example", "selector": "s1", "bits": 1024});
        body[field] = value;
        body
    };
    vec![
        get("/console/v1/audit", "action"),
        get("/console/v1/audit", "cursor"),
        get("/console/v1/audit", "limit"),
        get("/console/v1/audit", secret),
        get("/console/v1/keys", "domain"),
        get("/console/v1/keys", "cursor"),
        get("/console/v1/keys", "limit"),
        get("/console/v1/domains", "cursor"),
        post("/console/v1/keys", key("domain", json!(secret))),
        post("/console/v1/keys", key("selector", json!(secret))),
        post("/console/v1/keys", key("bits", json!(secret))),
        post("/console/v1/keys", key("algorithm", json!(secret))),
        post(
            "/console/v1/keys",
            json!({"domain": "echo.example", "selector": "s1", "private_key": secret}),
        ),
        post("/console/v1/keys", key(secret, json!(1))),
        post("/console/v1/api-keys", json!({ "label": secret })),
        post(
            "/console/v1/fleets",
            json!({"name": secret, "domains": ["echo.example"]}),
        ),
        post(
            "/console/v1/fleets",
            json!({"name": "f", "domains": [secret]}),
        ),
        post("/console/v1/tenants", json!({ "name": secret })),
        console(Method::PATCH, "/console/v1/settings").json(&json!({ secret: 1 })),
        console(Method::PATCH, "/console/v1/settings").json(&json!({ "min_rsa_bits": secret })),
        console(Method::POST, "/console/v1/keys")
            .header("content-type", "application/json")
            .body(format!("{{\"domain\": \"{flat}")),
        console(Method::DELETE, &format!("/console/v1/keys/{segment}")),
        console(Method::POST, &format!("/console/v1/keys/{segment}/verify")),
        console(Method::DELETE, &format!("/console/v1/api-keys/{segment}")),
        console(Method::DELETE, &format!("/console/v1/fleets/{segment}")),
        client
            .get(format!("{base}/console/v1/me"))
            .bearer_auth(&flat),
        client
            .get(format!("{base}/fleet/v1/keys"))
            .bearer_auth(&flat),
    ]
}

/// `s` percent-encoded as one path segment.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn console_and_fleet_rejections_never_repeat_a_key_a_token_or_a_long_input() {
    let dir = TempDir::new().unwrap();
    let dir = dir.path();
    let created: Value =
        serde_json::from_str(&run_ok(dir, &["tenant", "create", "acme", "--json"]).await).unwrap();
    let api_key = created["api_key"].as_str().expect("an API key").to_owned();
    assert!(api_key.starts_with("sgn_"), "{api_key}");
    let owner = run_ok(
        dir,
        &[
            "console", "token", "--tenant", "acme", "--role", "owner", "--ttl", "1h",
        ],
    )
    .await;
    let mut serve = signet_process::signet(SIGNET, &["serve"]);
    serve
        .current_dir(dir)
        .env("SIGNET_RATE_LIMIT_CAPACITY", "0");
    let server = SignetServer::start(serve).await;
    let client = reqwest::Client::new();

    let long = "x".repeat(5_000);
    let mut ids = Vec::new();
    let mut secrets = Vec::new();
    // A BEL before the API key, so that no field takes it for a valid label,
    // selector or name (those are answered, and rightly repeated).
    let sgn = format!("\u{7}{api_key}");
    for (what, secret, width) in [
        ("a PEM", pem(), 24),
        ("an sgn_ key", sgn, 16),
        ("5,000 characters", long, LONGEST_QUOTE + 1),
    ] {
        let pieces = pieces(&secret, width);
        for (n, probe) in probes(&client, &server.base_url, &owner, &secret)
            .into_iter()
            .enumerate()
        {
            let id = format!("echo-probe-{}", ids.len());
            let response = probe
                .header("x-request-id", &id)
                .send()
                .await
                .expect("the server answers");
            let status = response.status();
            let headers = format!("{:?}", response.headers());
            let body = response.text().await.expect("a readable body");
            assert!(
                status.is_client_error(),
                "{what}, probe {n}: {status} {body}"
            );
            let decoded = serde_json::from_str::<Value>(&body)
                .map(|v| v["detail"].as_str().unwrap_or_default().to_owned())
                .unwrap_or_else(|e| panic!("{what}, probe {n}: not JSON ({e}): {body}"));
            for piece in &pieces {
                for (place, seen) in [("headers", &headers), ("body", &body), ("detail", &decoded)]
                {
                    assert!(
                        !seen.contains(piece.as_str()),
                        "{what}, probe {n}: {status} repeats it in its {place}: {seen}"
                    );
                }
            }
            ids.push(id);
        }
        secrets.extend(pieces);
    }

    // Every probe's log lines are written before its answer; the pipe may lag.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = server.log();
        if ids.iter().all(|id| log.contains(id.as_str())) {
            break log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the log names every probe within 30 s:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for piece in &secrets {
        if let Some(line) = log.lines().find(|l| l.contains(piece.as_str())) {
            panic!("the log repeats {piece:?}: {line}");
        }
    }
}
