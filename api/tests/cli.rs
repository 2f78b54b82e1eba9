//! The `signet` binary end to end: administration commands against a local
//! SQLite file, and `signet serve` honouring what they did.

use std::future::Future;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use signet_domain::auth_cache::AuthCacheSettings;
use signet_domain::ports::AuditLog as _;
use signet_domain::{ApiKeyId, Origin, TenantId};
use signet_storage::{Keyring, MasterKey, Storage};
use signet_testkit::signet_process::{self, SignetServer, PROCESS_TIMEOUT};
use signet_testkit::within;
use tempfile::TempDir;
use tokio::process::Command;
use tokio::time::Instant;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");

/// `signet ARGS` in `dir`, with no `SIGNET_*` variable from outside.
fn signet(dir: &Path, args: &[&str]) -> Command {
    let mut command = signet_process::signet(SIGNET, args);
    command.current_dir(dir);
    command
}

async fn run(dir: &Path, args: &[&str]) -> Output {
    signet_process::output(signet(dir, args)).await
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

async fn run_json(dir: &Path, args: &[&str]) -> Value {
    let out = run_ok(dir, args).await;
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Starts `signet serve` in `dir` and waits until it listens.
async fn serve(dir: &Path) -> SignetServer {
    SignetServer::start(signet(dir, &["serve"])).await
}

/// The status `path` answers on `server` to `key`.
async fn status(server: &SignetServer, path: &str, key: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}{path}", server.base_url))
        .basic_auth("api", Some(key))
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_created_tenants_key_works_against_serve_until_revoked() {
    let dir = TempDir::new().unwrap();
    let created = run_json(dir.path(), &["tenant", "create", "acme", "--json"]).await;
    let fields: Vec<_> = created.as_object().unwrap().keys().cloned().collect();
    assert_eq!(fields, ["api_key", "name", "tenant_id"]);
    assert_eq!(created["name"], "acme");
    assert!(created["tenant_id"].is_i64());
    let key = created["api_key"].as_str().unwrap().to_owned();

    let server = serve(dir.path()).await;
    assert_eq!(status(&server, "/readyz", &key).await, 200);
    assert_eq!(status(&server, "/v1/dkim/keys", &key).await, 200);
    assert_eq!(status(&server, "/ga/api/v3/eng/dkim_keys", &key).await, 200);
    assert_eq!(status(&server, "/v1/dkim/keys", "sgn_wrong").await, 401);

    // Revoked by another process, which has no Redis to announce it on,
    // the key stops working once the server's cached answer expires.
    let keys = run_json(
        dir.path(),
        &["api-key", "list", "--tenant", "acme", "--json"],
    )
    .await;
    let id = keys[0]["api_key_id"].as_i64().unwrap().to_string();
    run_ok(dir.path(), &["api-key", "revoke", "--tenant", "acme", &id]).await;
    let revoked = Instant::now();
    let delay = first_time(revoked, || async {
        status(&server, "/v1/dkim/keys", &key).await == 401
    })
    .await;
    eprintln!("refused {delay:?} after `signet api-key revoke` returned");
    assert!(delay < BOUND, "{delay:?}");
}

/// The bound on a change made by another process reaching a server.
const BOUND: Duration = Duration::from_secs(1);

/// How long after `since` a check first held, counted when it started;
/// gives up after five seconds.
async fn first_time<F, Fut>(since: Instant, check: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    loop {
        let started = Instant::now();
        if check().await {
            return started - since;
        }
        assert!(started - since < Duration::from_secs(5), "not within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The JSON body of `GET path` on `server` with `key`.
async fn get_json(server: &SignetServer, path: &str, key: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", server.base_url))
        .basic_auth("api", Some(key))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body")
}

#[tokio::test]
async fn a_setting_changed_by_the_cli_holds_on_a_running_server_within_a_second() {
    let dir = TempDir::new().unwrap();
    let created = run_json(dir.path(), &["tenant", "create", "acme", "--json"]).await;
    let key = created["api_key"].as_str().unwrap().to_owned();
    let server = serve(dir.path()).await;
    let made: Value = reqwest::Client::new()
        .post(format!("{}/ga/api/v3/eng/dkim_keys", server.base_url))
        .basic_auth("api", Some(&key))
        .json(&serde_json::json!({
            "dkim_key": { "domain": "example.com", "selector": "s1", "key": { "bits": 1024 } }
        }))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body");
    let id = made["data"]["dkim_key"]["id"].as_i64().expect("created");
    let path = format!("/ga/api/v3/eng/dkim_keys/{id}");
    let shown = || async {
        let body = get_json(&server, &path, &key).await;
        assert_eq!(body["success"], true, "{body}");
        body["data"]["dkim_key"]["key"]["private"].is_string()
    };
    assert!(!shown().await, "export is off");

    run_ok(
        dir.path(),
        &["tenant", "set", "acme", "--private-key-export", "on"],
    )
    .await;
    let delay = first_time(Instant::now(), shown).await;
    eprintln!("shown {delay:?} after `signet tenant set` returned");
    assert!(delay < BOUND, "{delay:?}");
}

/// A counter's value on the server's `/metrics`; 0 before it first counts.
async fn counter(server: &SignetServer, name: &str) -> f64 {
    let text = reqwest::Client::new()
        .get(format!("{}/metrics", server.base_url))
        .send()
        .await
        .expect("the server answers")
        .text()
        .await
        .expect("a text body");
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().expect("a number"))
}

#[tokio::test]
async fn a_flood_of_unknown_keys_asks_the_database_once_per_key_and_ttl() {
    const MISSES: &str = "signet_auth_cache_misses_total";
    const HITS: &str = "signet_auth_cache_hits_total";
    const EACH: usize = 100;
    let dir = TempDir::new().unwrap();
    let created = run_json(dir.path(), &["tenant", "create", "acme", "--json"]).await;
    let live = created["api_key"].as_str().unwrap().to_owned();
    let server = serve(dir.path()).await;
    let (misses, hits) = (counter(&server, MISSES).await, counter(&server, HITS).await);

    // One unknown key of the issued shape, over and over; a hundred keys of
    // another shape; and the live key, through /healthz too.
    let unknown = format!("sgn_{}", "A".repeat(43));
    let started = std::time::Instant::now();
    for i in 0..EACH {
        assert_eq!(status(&server, "/v1/dkim/keys", &unknown).await, 401);
        let garbage = format!("sgn_flood{i}");
        assert_eq!(status(&server, "/v1/dkim/keys", &garbage).await, 401);
        let path = if i % 2 == 0 {
            "/healthz"
        } else {
            "/v1/dkim/keys"
        };
        assert_eq!(status(&server, path, &live).await, 200);
    }
    let elapsed = started.elapsed();

    let asked = counter(&server, MISSES).await - misses;
    let answered = counter(&server, HITS).await - hits;
    eprintln!(
        "{} requests in {elapsed:?}: {asked} lookups, {answered} from the cache",
        3 * EACH
    );
    // Each of the two well-formed keys is looked up at most once per TTL.
    let windows = elapsed.as_secs_f64() / AuthCacheSettings::DEFAULT_TTL.as_secs_f64();
    let most = 2.0 * (windows.ceil() + 1.0);
    assert!(asked <= most, "{asked} lookups, at most {most} expected");
    assert_eq!(
        asked + answered,
        (2 * EACH) as f64,
        "garbage is never looked up"
    );
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let dir = TempDir::new().unwrap();
    let mut server = serve(dir.path()).await;
    let pid = server.child.id().expect("running").to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(kill.unwrap().success());
    let status = within(PROCESS_TIMEOUT, "serve stops", server.child.wait())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn without_a_master_key_sqlite_gets_a_private_key_file_beside_it() {
    let dir = TempDir::new().unwrap();
    run_ok(dir.path(), &["migrate"]).await;
    assert!(dir.path().join("signet.db").exists());
    let key_file = dir.path().join("signet.master.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = std::fs::read_to_string(&key_file).unwrap();
    // Reused, not replaced, on the next start.
    run_ok(dir.path(), &["tenant", "list"]).await;
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
}

#[tokio::test]
async fn a_configured_master_key_file_is_used_and_none_is_made() {
    let dir = TempDir::new().unwrap();
    let key_file = dir.path().join("given.key");
    std::fs::write(&key_file, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n").unwrap();
    let mut command = signet(dir.path(), &["tenant", "create", "acme"]);
    command.env("SIGNET_MASTER_KEY_FILE", &key_file);
    let out = signet_process::output(command).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sgn_"));
    assert!(!dir.path().join("signet.master.key").exists());
}

#[tokio::test]
async fn postgres_without_a_master_key_is_refused_with_the_reason() {
    let dir = TempDir::new().unwrap();
    let mut command = signet(dir.path(), &["serve"]);
    command.env(
        "SIGNET_DATABASE_URL",
        "postgres://signet@127.0.0.1:1/signet",
    );
    let out = signet_process::output(command).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SIGNET_MASTER_KEY"), "{stderr}");
    assert!(stderr.contains("PostgreSQL"), "{stderr}");
}

#[tokio::test]
async fn tenants_are_listed_configured_and_unique() {
    let dir = TempDir::new().unwrap();
    run_ok(dir.path(), &["tenant", "create", "acme"]).await;
    run_ok(dir.path(), &["tenant", "create", "globex"]).await;
    let duplicate = run(dir.path(), &["tenant", "create", "acme"]).await;
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));
    let invalid = run(dir.path(), &["tenant", "create", "Not Valid"]).await;
    assert!(!invalid.status.success());

    run_ok(
        dir.path(),
        &["tenant", "set", "acme", "--private-key-export", "on"],
    )
    .await;
    let tenants = run_json(dir.path(), &["tenant", "list", "--json"]).await;
    let summary: Vec<_> = tenants
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["private_key_export"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [("acme", true), ("globex", false)]);
    let text = run_ok(dir.path(), &["tenant", "list"]).await;
    assert!(text.contains("acme") && text.contains("globex"), "{text}");
}

#[tokio::test]
async fn api_keys_are_issued_listed_and_revoked() {
    let dir = TempDir::new().unwrap();
    run_ok(dir.path(), &["tenant", "create", "acme"]).await;
    let issued = run_json(
        dir.path(),
        &["api-key", "create", "--tenant", "acme", "--json"],
    )
    .await;
    assert!(issued["api_key"].as_str().unwrap().starts_with("sgn_"));
    let id = issued["api_key_id"].as_i64().unwrap().to_string();

    run_ok(dir.path(), &["api-key", "revoke", "--tenant", "acme", &id]).await;
    let keys = run_json(
        dir.path(),
        &["api-key", "list", "--tenant", "acme", "--json"],
    )
    .await;
    let revoked: Vec<_> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["api_key_id"].to_string(), !k["revoked_at"].is_null()))
        .collect();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.contains(&(id.clone(), true)), "{revoked:?}");

    let again = run(dir.path(), &["api-key", "revoke", "--tenant", "acme", &id]).await;
    assert!(!again.status.success());
    let unknown = run(dir.path(), &["api-key", "list", "--tenant", "nobody"]).await;
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn administration_is_in_the_audit_trail_as_the_cli_and_failures_are_not() {
    let dir = TempDir::new().unwrap();
    let created = run_json(dir.path(), &["tenant", "create", "acme", "--json"]).await;
    let first_key = created["api_key"].as_str().unwrap().to_owned();
    let issued = run_json(
        dir.path(),
        &["api-key", "create", "--tenant", "acme", "--json"],
    )
    .await;
    let id = issued["api_key_id"].as_i64().unwrap();
    run_ok(
        dir.path(),
        &["tenant", "set", "acme", "--private-key-export", "on"],
    )
    .await;
    run_ok(
        dir.path(),
        &["api-key", "revoke", "--tenant", "acme", &id.to_string()],
    )
    .await;
    // Refused: nothing to record.
    assert!(!run(dir.path(), &["tenant", "create", "acme"])
        .await
        .status
        .success());
    let again = ["api-key", "revoke", "--tenant", "acme", &id.to_string()];
    assert!(!run(dir.path(), &again).await.status.success());

    // The CLI's own database, opened as the server would.
    let key = std::fs::read_to_string(dir.path().join("signet.master.key")).unwrap();
    let keyring = Keyring::new(MasterKey::from_base64(key.trim()).unwrap());
    let url = format!("sqlite://{}", dir.path().join("signet.db").display());
    let store = Storage::connect(&url, keyring).await.unwrap();
    let tenant = TenantId(created["tenant_id"].as_i64().unwrap());
    let events = store.audit_events(tenant, None, None, 100).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "api_key.revoked",
            "settings.changed",
            "api_key.created",
            "api_key.created",
            "tenant.created",
        ]
    );
    assert!(events.iter().all(|e| e.event.origin == Origin::cli()));
    assert!(events.iter().all(|e| e.tenant == tenant));
    assert_eq!(events[0].event.target.api_key_id, Some(ApiKeyId(id)));
    assert_eq!(
        events[1].event.detail.as_deref(),
        Some("private_key_export=true min_rsa_bits=1024")
    );
    let everything = format!("{events:?}");
    assert!(!everything.contains(&first_key));
    assert!(!everything.contains(issued["api_key"].as_str().unwrap()));
}

#[tokio::test]
async fn administration_needs_no_redis_and_serve_refuses_a_malformed_redis_url() {
    let dir = TempDir::new().unwrap();
    let with_bad_redis = |args: &[&str]| {
        let mut command = signet(dir.path(), args);
        // A password, and a database that is not a number.
        command.env("SIGNET_REDIS_URL", "redis://:hunter2@h/x");
        command
    };
    let created = signet_process::output(with_bad_redis(&["tenant", "create", "acme"])).await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let served = signet_process::output(with_bad_redis(&["serve"])).await;
    assert!(!served.status.success());
    let stderr = String::from_utf8_lossy(&served.stderr);
    assert!(stderr.contains("SIGNET_REDIS_URL"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is shown: {stderr}"
    );
}

/// `signet ARGS` in `dir` with these master keys.
fn with_keys(dir: &Path, args: &[&str], key: &MasterKey, previous: Option<&MasterKey>) -> Command {
    let mut command = signet(dir, args);
    command.env("SIGNET_MASTER_KEY", key.to_base64().as_str());
    if let Some(previous) = previous {
        command.env("SIGNET_MASTER_KEY_PREVIOUS", previous.to_base64().as_str());
    }
    command
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_at_start_naming_the_key_it_needs() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (
        MasterKey::generate().unwrap(),
        MasterKey::generate().unwrap(),
    );
    let created = signet_process::output(with_keys(
        dir.path(),
        &["tenant", "create", "acme", "--json"],
        &a,
        None,
    ))
    .await;
    assert!(created.status.success(), "{created:?}");
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    let api_key = created["api_key"].as_str().unwrap().to_owned();
    {
        let server = SignetServer::start(with_keys(dir.path(), &["serve"], &a, None)).await;
        let made = reqwest::Client::new()
            .post(format!("{}/v1/dkim/keys", server.base_url))
            .basic_auth("api", Some(&api_key))
            .form(&[
                ("signing_domain", "example.com"),
                ("selector", "s1"),
                ("bits", "1024"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), 200);
    }

    for args in [&["tenant", "list"][..], &["serve"]] {
        let started = std::time::Instant::now();
        let mut command = with_keys(dir.path(), args, &b, None);
        command.env("SIGNET_LISTEN", "127.0.0.1:0");
        let out = signet_process::output(command).await;
        assert!(!out.status.success(), "{args:?} started with the wrong key");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("master key {}", a.id())),
            "{stderr}"
        );
        assert!(stderr.contains("SIGNET_MASTER_KEY_PREVIOUS"), "{stderr}");
        for secret in [a.to_base64(), b.to_base64()] {
            assert!(!stderr.contains(secret.as_str()), "a master key is shown");
        }
        assert!(out.stdout.is_empty());
    }

    // After a rotation, the old key kept as previous opens what it sealed.
    let server = SignetServer::start(with_keys(dir.path(), &["serve"], &b, Some(&a))).await;
    assert_eq!(status(&server, "/v1/dkim/keys", &api_key).await, 200);
    assert_eq!(
        status(&server, "/ga/api/v3/eng/dkim_keys/1", &api_key).await,
        200
    );
}

#[tokio::test]
async fn tenant_set_min_rsa_bits_lets_greenarrow_take_512_bit_keys() {
    let dir = TempDir::new().unwrap();
    let created = run_json(dir.path(), &["tenant", "create", "acme", "--json"]).await;
    let api_key = created["api_key"].as_str().unwrap().to_owned();
    let tenants = run_json(dir.path(), &["tenant", "list", "--json"]).await;
    assert_eq!(tenants[0]["min_rsa_bits"], 1024);
    for bad in [
        &["tenant", "set", "acme"][..],
        &["tenant", "set", "acme", "--min-rsa-bits", "768"],
    ] {
        assert!(!run(dir.path(), bad).await.status.success(), "{bad:?}");
    }

    let server = serve(dir.path()).await;
    let create = |selector: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/ga/api/v3/eng/dkim_keys", server.base_url))
            .basic_auth("api", Some(&api_key))
            .json(&serde_json::json!({ "dkim_key": {
                "domain": "example.com", "selector": selector, "key": { "bits": 512 }
            }}))
            .send()
    };
    let refused = create("s1").await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("min_rsa_bits"));

    let out = run_ok(
        dir.path(),
        &["tenant", "set", "acme", "--min-rsa-bits", "512"],
    )
    .await;
    assert!(out.contains("min-rsa-bits 512"), "{out}");
    let tenants = run_json(dir.path(), &["tenant", "list", "--json"]).await;
    assert_eq!(tenants[0]["min_rsa_bits"], 512);
    assert_eq!(tenants[0]["private_key_export"], false, "left as it was");
    let text = run_ok(dir.path(), &["tenant", "list"]).await;
    assert!(
        text.contains("MIN_RSA_BITS") && text.contains("512"),
        "{text}"
    );
    // The server sees the new minimum once its cached settings expire.
    let delay = first_time(Instant::now(), || async {
        create("s1").await.unwrap().status() == 200
    })
    .await;
    assert!(delay < BOUND, "{delay:?}");
}

#[tokio::test]
async fn an_unreachable_database_is_reported_once_naming_its_host_and_port() {
    let dir = TempDir::new().unwrap();
    let mut command = signet(dir.path(), &["tenant", "list"]);
    command
        .env(
            "SIGNET_DATABASE_URL",
            "postgres://signet:hunter2@127.0.0.1:1/signet",
        )
        .env(
            "SIGNET_MASTER_KEY",
            MasterKey::generate().unwrap().to_base64().as_str(),
        )
        .env("SIGNET_DATABASE_TIMEOUT", "2s");
    let out = signet_process::output(command).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<_> = stderr
        .lines()
        .filter(|l| l.contains("cannot reach"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with("signet: cannot reach PostgreSQL at 127.0.0.1:1: "),
        "{stderr}"
    );
    assert!(errors[0].to_lowercase().contains("refused"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[tokio::test]
async fn a_mysql_url_is_refused_as_an_unsupported_database() {
    let dir = TempDir::new().unwrap();
    for args in [&["serve"][..], &["tenant", "list"]] {
        let mut command = signet(dir.path(), args);
        command.env(
            "SIGNET_DATABASE_URL",
            "mysql://root:hunter2@127.0.0.1/signet",
        );
        let out = signet_process::output(command).await;
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("unsupported database \"mysql\""),
            "{stderr}"
        );
        assert!(!stderr.contains("master key"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

#[tokio::test]
async fn an_administration_commands_help_lists_its_own_options_and_no_servers() {
    let dir = TempDir::new().unwrap();
    let help = run_ok(dir.path(), &["tenant", "create", "--help"]).await;
    let at = |needle: &str| {
        help.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {help}"))
    };
    assert!(at("--json") < at("--database-url"), "{help}");
    assert!(at("--master-key") < at("--redis-url"), "{help}");
    assert!(!help.contains("--listen"), "{help}");
}

#[tokio::test]
async fn a_cli_minted_console_token_works_on_the_server_and_an_unknown_tenant_gets_none() {
    let dir = TempDir::new().unwrap();
    run_json(dir.path(), &["tenant", "create", "acme", "--json"]).await;
    let token = run_ok(
        dir.path(),
        &[
            "console",
            "token",
            "--tenant",
            "acme",
            "--role",
            "admin",
            "--subject",
            "me@example.com",
        ],
    )
    .await;
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "{token}");
    let server = serve(dir.path()).await;
    let me: Value = reqwest::Client::new()
        .get(format!("{}/console/v1/me", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me,
        serde_json::json!({"subject": "me@example.com", "tenant": "acme", "role": "admin"})
    );
    let unknown = run(
        dir.path(),
        &["console", "token", "--tenant", "nobody", "--role", "viewer"],
    )
    .await;
    assert!(!unknown.status.success());
    let operator_with_tenant = run(
        dir.path(),
        &["console", "token", "--tenant", "acme", "--role", "operator"],
    )
    .await;
    assert!(!operator_with_tenant.status.success());
    let operator = run_ok(dir.path(), &["console", "token", "--role", "operator"]).await;
    assert_eq!(operator.trim().split('.').count(), 3);
}

#[tokio::test]
async fn fleet_sync_once_writes_its_target_and_exits_non_zero_when_it_cannot() {
    let dir = TempDir::new().unwrap();
    run_ok(dir.path(), &["tenant", "create", "acme"]).await;
    let issued = run_json(
        dir.path(),
        &["api-key", "create", "--tenant", "acme", "--json"],
    )
    .await;
    let key = issued["api_key"].as_str().unwrap().to_owned();
    let server = serve(dir.path()).await;
    // A fleet reads only its tenant's domains: a.example is made its own.
    let made = reqwest::Client::new()
        .post(format!("{}/v4/domains", server.base_url))
        .basic_auth("api", Some(&key))
        .form(&[("name", "a.example"), ("dkim_key_size", "1024")])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200);
    let created = run_json(
        dir.path(),
        &[
            "fleet",
            "create",
            "mta",
            "--tenant",
            "acme",
            "--domains",
            "a.example",
            "--json",
        ],
    )
    .await;
    let token = created["token"].as_str().unwrap().to_owned();
    let keys = dir.path().join("keys");
    let target = format!("dir:{}", keys.display());
    let seen = dir.path().join("on-change.env");
    let on_change = format!("env > {}", seen.display());
    // The token comes from the environment, where `ps` does not show it.
    let sync = |url: &str, token: &str| {
        let mut command = signet(
            dir.path(),
            &[
                "fleet",
                "sync",
                "--url",
                url,
                "--to",
                &target,
                "--once",
                "--on-change",
                &on_change,
            ],
        );
        command.env("SIGNET_FLEET_TOKEN", token);
        command
    };

    let out = signet_process::output(sync(&server.base_url, &token)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(&token), "the token is never logged");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(keys.join("keys.json")).unwrap()).unwrap();
    assert_eq!(manifest["fleet"], "mta");
    let listed = manifest["keys"].as_array().unwrap();
    assert!(
        listed.iter().all(|k| k["domain"] == "a.example"),
        "{manifest}"
    );
    let env = std::fs::read_to_string(&seen).expect("--on-change ran after the first write");
    assert!(
        !env.contains(&token),
        "--on-change does not inherit the token"
    );

    let wrong = "sgf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let out = signet_process::output(sync(&server.base_url, wrong)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("401"), "{stderr}");
    let out = signet_process::output(sync("http://127.0.0.1:1", &token)).await;
    assert!(!out.status.success(), "Signet unreachable");
    assert!(keys.join("keys.json").exists(), "the last good set stays");
}
