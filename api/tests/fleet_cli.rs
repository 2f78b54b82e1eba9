//! `signet fleet create/list/revoke` end to end: a local SQLite file, and
//! `signet serve` reading the feed with the token the CLI printed.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use signet_testkit::redis_server::RedisConfig;
use signet_testkit::signet_process::{self, SignetServer};
use tempfile::TempDir;
use tokio::process::Command;
use tokio::time::Instant;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");

/// `signet ARGS` in `dir`, with only the `SIGNET_*` variables in `env`.
fn signet(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = signet_process::signet(SIGNET, args);
    command.current_dir(dir).envs(env.iter().copied());
    command
}

async fn run(dir: &Path, args: &[&str]) -> Output {
    signet_process::output(signet(dir, args, &[])).await
}

async fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args).await;
    assert!(
        out.status.success(),
        "signet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Asserts `signet ARGS` fails, saying `part` on stderr.
async fn run_fails(dir: &Path, args: &[&str], part: &str) {
    let out = run(dir, args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "signet {args:?} succeeded");
    assert!(stderr.contains(part), "signet {args:?}: {stderr}");
}

/// The status of the feed on `server` for `token`.
async fn feed_status(server: &SignetServer, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/fleet/v1/keys", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

/// A new API key of `tenant`.
async fn api_key(dir: &Path, tenant: &str) -> String {
    let out = run_ok(dir, &["api-key", "create", "--tenant", tenant, "--json"]).await;
    let issued: Value = serde_json::from_str(&out).unwrap();
    issued["api_key"].as_str().unwrap().to_owned()
}

/// Registers `domains` through Mailgun's `POST /v4/domains` with `key`.
async fn add_domains(server: &SignetServer, key: &str, domains: &[&str]) {
    for domain in domains {
        let params = [("name", *domain), ("dkim_key_size", "1024")];
        let answer = reqwest::Client::new()
            .post(format!("{}/v4/domains", server.base_url))
            .basic_auth("api", Some(key))
            .form(&params)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(answer.status(), 200, "{domain}: {:?}", answer.text().await);
    }
}

#[tokio::test]
async fn fleets_are_created_listed_and_revoked_with_clear_errors() {
    let dir = TempDir::new().unwrap();
    let dir = dir.path();
    run_ok(dir, &["tenant", "create", "acme"]).await;
    run_ok(dir, &["tenant", "create", "other"]).await;
    let (acme, other) = (api_key(dir, "acme").await, api_key(dir, "other").await);
    let server = SignetServer::start(signet(dir, &["serve"], &[])).await;
    add_domains(&server, &acme, &["a.example", "b.example", "c.example"]).await;
    add_domains(&server, &other, &["o.example"]).await;
    // Another tenant's domain, and one nobody has: the same refusal, which
    // tells nothing of other tenants.
    for foreign in ["o.example", "n.example"] {
        run_fails(
            dir,
            &[
                "fleet",
                "create",
                "mta-eu",
                "--tenant",
                "acme",
                "--domains",
                &format!("a.example,{foreign}"),
            ],
            &format!("the tenant has no domain or key named {foreign}: a fleet reads only its own tenant's domains"),
        )
        .await;
    }
    let out = run_ok(
        dir,
        &[
            "fleet",
            "create",
            "mta-eu",
            "--tenant",
            "acme",
            "--domains",
            "b.example,a.example",
            "--json",
        ],
    )
    .await;
    let created: Value = serde_json::from_str(&out).unwrap();
    let fields: Vec<_> = created.as_object().unwrap().keys().cloned().collect();
    assert_eq!(fields, ["name", "token"]);
    assert_eq!(created["name"], "mta-eu");
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("sgf_"));
    let text = run_ok(
        dir,
        &[
            "fleet",
            "create",
            "mta-us",
            "--tenant",
            "acme",
            "--domains",
            "c.example",
        ],
    )
    .await;
    assert!(
        text.contains("fleet token (shown only this once): sgf_"),
        "{text}"
    );

    run_fails(
        dir,
        &[
            "fleet",
            "create",
            "mta-eu",
            "--tenant",
            "acme",
            "--domains",
            "a.example",
        ],
        "fleet already exists",
    )
    .await;
    run_fails(
        dir,
        &[
            "fleet",
            "create",
            "x",
            "--tenant",
            "nope",
            "--domains",
            "a.example",
        ],
        "tenant not found",
    )
    .await;
    run_fails(
        dir,
        &[
            "fleet",
            "create",
            "x",
            "--tenant",
            "acme",
            "--domains",
            "a..example",
        ],
        "--domains",
    )
    .await;
    run_fails(
        dir,
        &[
            "fleet",
            "create",
            "X Y",
            "--tenant",
            "acme",
            "--domains",
            "a.example",
        ],
        "fleet name",
    )
    .await;

    let listed: Value =
        serde_json::from_str(&run_ok(dir, &["fleet", "list", "--tenant", "acme", "--json"]).await)
            .unwrap();
    assert_eq!(listed[0]["name"], "mta-eu");
    assert_eq!(
        listed[0]["domains"],
        serde_json::json!(["a.example", "b.example"])
    );
    assert!(listed[0]["created_at"].is_string());
    assert_eq!(listed[1]["name"], "mta-us");
    let text = run_ok(dir, &["fleet", "list", "--tenant", "acme"]).await;
    assert!(text.contains("mta-eu") && text.contains("a.example,b.example"));
    for shown in [listed.to_string(), text] {
        assert!(
            !shown.contains(&token[4..]),
            "a listing never shows a token"
        );
    }

    assert_eq!(feed_status(&server, &token).await, 200);
    run_ok(dir, &["fleet", "revoke", "mta-us", "--tenant", "acme"]).await;
    run_fails(
        dir,
        &["fleet", "revoke", "mta-us", "--tenant", "acme"],
        "fleet not found",
    )
    .await;
    let remaining = run_ok(dir, &["fleet", "list", "--tenant", "acme", "--json"]).await;
    assert!(!remaining.contains("mta-us"), "{remaining}");
}

#[tokio::test]
async fn with_redis_a_revocation_by_the_cli_stops_a_running_servers_feed_within_a_second() {
    let Some(redis) = RedisConfig::from_env() else {
        return;
    };
    let env = [
        ("SIGNET_REDIS_URL", redis.url.as_str()),
        ("SIGNET_REDIS_KEY_PREFIX", redis.key_prefix.as_str()),
    ];
    let dir = TempDir::new().unwrap();
    let dir = dir.path();
    run_ok(dir, &["tenant", "create", "acme"]).await;
    let key = api_key(dir, "acme").await;
    let server = SignetServer::start(signet(dir, &["serve"], &env)).await;
    add_domains(&server, &key, &["a.example"]).await;
    let out = run_ok(
        dir,
        &[
            "fleet",
            "create",
            "mta-eu",
            "--tenant",
            "acme",
            "--domains",
            "a.example",
            "--json",
        ],
    )
    .await;
    let token = serde_json::from_str::<Value>(&out).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(feed_status(&server, &token).await, 200, "read, and cached");
    let revoke = signet(
        dir,
        &["fleet", "revoke", "mta-eu", "--tenant", "acme"],
        &env,
    );
    assert!(signet_process::output(revoke).await.status.success());
    let revoked = Instant::now();
    loop {
        let asked = Instant::now();
        if feed_status(&server, &token).await == 401 {
            let delay = asked - revoked;
            eprintln!("refused {delay:?} after `signet fleet revoke` returned");
            assert!(delay < Duration::from_secs(1), "{delay:?}");
            break;
        }
        assert!(asked - revoked < Duration::from_secs(5), "not within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
