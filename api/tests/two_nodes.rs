//! Two `signet serve` processes on one PostgreSQL database and one Redis,
//! behind no load balancer but the test itself, which spreads requests over
//! both: they must behave as one service.
//!
//! Needs `SIGNET_TEST_POSTGRES_URL` (skipped without it, except under
//! `CI=true`), and Redis: `SIGNET_TEST_REDIS_URL`, or else a private
//! `redis-server`.

use std::process::Stdio;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures::future::join_all;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use sea_orm::{ConnectionTrait as _, Database};
use serde_json::Value;
use signet_domain::{KeySize, PrivateKey};
use signet_testkit::{PrivateRedis, RedisConfig, TestDns};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");
/// The burst each API key gets: enough for the hundred concurrent creates.
const CAPACITY: usize = 150;

/// One `signet serve`, killed when dropped.
struct Node {
    _child: Child,
    base_url: String,
}

/// Two nodes, their database, Redis and DNS server, and a tenant's API key.
struct Cluster {
    nodes: [Node; 2],
    dns: TestDns,
    env: Vec<(&'static str, String)>,
    api_key: String,
    client: Client,
    // Dropped last: the nodes must be gone before the database is.
    _redis: Option<PrivateRedis>,
    _database: TestDatabase,
}

impl Cluster {
    /// Starts everything; `None` when PostgreSQL is not configured (outside CI).
    async fn start() -> Option<Self> {
        let database = TestDatabase::create().await?;
        let (redis, private) = match std::env::var(signet_testkit::redis_server::REDIS_URL_VAR) {
            Ok(url) if !url.is_empty() => (RedisConfig::new(url), None),
            _ => {
                if !PrivateRedis::available() {
                    return None;
                }
                let server = PrivateRedis::start().await;
                (RedisConfig::new(server.url()), Some(server))
            }
        };
        let dns = TestDns::start().await;
        let master_key = STANDARD.encode(rand::random::<[u8; 32]>());
        let env = vec![
            ("SIGNET_DATABASE_URL", database.url.clone()),
            ("SIGNET_MASTER_KEY", master_key),
            ("SIGNET_REDIS_URL", redis.url),
            ("SIGNET_REDIS_KEY_PREFIX", redis.key_prefix),
            ("SIGNET_DNS_SERVERS", dns.addr().to_string()),
            ("SIGNET_DNS_TIMEOUT", "300ms".into()),
            ("SIGNET_DNS_ATTEMPTS", "1".into()),
            ("SIGNET_RATE_LIMIT_CAPACITY", CAPACITY.to_string()),
            ("SIGNET_RATE_LIMIT_REFILL_PER_SECOND", "0.001".into()),
            ("SIGNET_DNS_RECHECK_INTERVAL", "0".into()),
            ("SIGNET_KEYGEN_CONCURRENCY", "1".into()),
            ("SIGNET_LOG_FORMAT", "json".into()),
        ];
        let created = run_json(&env, &["tenant", "create", "acme", "--json"]).await;
        let api_key = created["api_key"].as_str().expect("an API key").to_owned();
        let nodes = [serve(&env).await, serve(&env).await];
        let cluster = Self {
            nodes,
            dns,
            env,
            api_key,
            client: Client::new(),
            _redis: private,
            _database: database,
        };
        for node in &cluster.nodes {
            cluster.wait_ready(node).await;
        }
        Some(cluster)
    }

    /// Waits until a node is ready with Redis in use.
    async fn wait_ready(&self, node: &Node) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let response = self
                .client
                .get(format!("{}/readyz", node.base_url))
                .send()
                .await;
            if let Ok(response) = response {
                let body: Value = response.json().await.unwrap_or_default();
                if body["status"] == "ok" && body["redis"] == "redis" {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "{} is not ready", node.base_url);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Another API key of the tenant, through the command line.
    async fn new_api_key(&self) -> String {
        let issued = run_json(
            &self.env,
            &["api-key", "create", "--tenant", "acme", "--json"],
        )
        .await;
        issued["api_key"].as_str().expect("an API key").to_owned()
    }

    /// A request to node `n` with `key`.
    fn request(&self, n: usize, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.nodes[n].base_url))
            .basic_auth("api", Some(key))
    }

    /// A request to node `n` as the tenant.
    fn on(&self, n: usize, method: Method, path: &str) -> RequestBuilder {
        self.request(n, &self.api_key, method, path)
    }
}

/// `signet ARGS` with `env` and no other `SIGNET_*` variable.
fn signet(env: &[(&'static str, String)], args: &[&str]) -> Command {
    let mut command = Command::new(SIGNET);
    command.args(args).env("RUST_LOG", "info");
    for (name, _) in std::env::vars() {
        if name.starts_with("SIGNET_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    command
}

async fn run_json(env: &[(&'static str, String)], args: &[&str]) -> Value {
    let out = signet(env, args).output().await.expect("signet runs");
    assert!(
        out.status.success(),
        "signet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Starts `signet serve` on a free port and waits for its `listening` line.
async fn serve(env: &[(&'static str, String)]) -> Node {
    let mut child = signet(env, &["serve"])
        .env("SIGNET_LISTEN", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("signet serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    let address = loop {
        let line = lines
            .next_line()
            .await
            .expect("stderr is readable")
            .expect("the server logs `listening` before exiting");
        let Ok(event) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if event["fields"]["message"] == "listening" {
            break event["fields"]["address"].as_str().unwrap().to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Node {
        _child: child,
        base_url: format!("http://{address}"),
    }
}

/// A fresh PostgreSQL database, dropped with its connections afterwards.
struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create() -> Option<Self> {
        let admin_url = match std::env::var("SIGNET_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!(
                    "CI=true but SIGNET_TEST_POSTGRES_URL is not set: the two-node test must run"
                )
            }
            _ => {
                eprintln!("skipped: SIGNET_TEST_POSTGRES_URL is not set");
                return None;
            }
        };
        let name = format!("signet_t_{:016x}", rand::random::<u64>());
        let admin = Database::connect(admin_url.as_str())
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at SIGNET_TEST_POSTGRES_URL: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("the test database is created");
        let _ = admin.close().await;
        let mut url = reqwest::Url::parse(&admin_url).expect("a valid PostgreSQL URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            admin_url,
            name,
        })
    }
}

impl Drop for TestDatabase {
    /// Drops the database on a thread of its own, since `drop` cannot await.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = admin.execute_unprepared(&sql).await {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                    let _ = admin.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A 1024-bit key as PKCS#1 PEM, and the TXT value that publishes it.
fn pem() -> (String, String) {
    let size = KeySize::try_from(1024u32).expect("a supported size");
    let key = PrivateKey::generate(size).expect("RSA generation");
    (
        key.to_pkcs1_pem().to_string(),
        format!("k=rsa; p={}", key.public_key()),
    )
}

/// A TXT value cut into character-strings of at most 255 bytes.
fn split(value: &str) -> Vec<String> {
    value
        .as_bytes()
        .chunks(255)
        .map(|chunk| String::from_utf8(chunk.to_vec()).expect("records are ASCII"))
        .collect()
}

async fn json(request: RequestBuilder, status: StatusCode) -> Value {
    let response = request.send().await.expect("the node answers");
    let actual = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(actual, status, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_on_one_node_is_listed_verified_and_deleted_on_the_other() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let (pem, record) = pem();
    let form = [
        ("signing_domain", "example.com"),
        ("selector", "s1"),
        ("pem", pem.as_str()),
    ];
    json(
        cluster.on(0, Method::POST, "/v1/dkim/keys").form(&form),
        StatusCode::OK,
    )
    .await;

    let listed = json(cluster.on(1, Method::GET, "/v1/dkim/keys"), StatusCode::OK).await;
    assert_eq!(listed["items"][0]["selector"], "s1", "{listed}");
    assert_eq!(listed["items"][0]["dns_record"]["valid"], "unknown");

    let domain = [("name", "example.com"), ("dkim_selector", "s1")];
    json(
        cluster.on(0, Method::POST, "/v4/domains").form(&domain),
        StatusCode::OK,
    )
    .await;
    cluster
        .dns
        .set_txt("s1._domainkey.example.com", vec![split(&record)]);
    let verified = json(
        cluster.on(1, Method::PUT, "/v4/domains/example.com/verify"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        verified["sending_dns_records"][0]["valid"], "valid",
        "{verified}"
    );
    let activated = json(
        cluster.on(1, Method::PUT, "/v4/domains/example.com/keys/s1/activate"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(activated["active"], true);
    let seen_on_a = json(cluster.on(0, Method::GET, "/v1/dkim/keys"), StatusCode::OK).await;
    assert_eq!(seen_on_a["items"][0]["dns_record"]["valid"], "valid");
    assert_eq!(seen_on_a["items"][0]["dns_record"]["is_active"], true);

    json(
        cluster.on(1, Method::PUT, "/v4/domains/example.com/keys/s1/deactivate"),
        StatusCode::OK,
    )
    .await;
    let delete = [("signing_domain", "example.com"), ("selector", "s1")];
    json(
        cluster
            .on(1, Method::DELETE, "/v1/dkim/keys")
            .query(&delete),
        StatusCode::OK,
    )
    .await;
    let after = json(cluster.on(0, Method::GET, "/v1/dkim/keys"), StatusCode::OK).await;
    assert_eq!(after["items"], serde_json::json!([]), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_counts_requests_to_both_nodes() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let key = cluster.new_api_key().await;
    let mut remaining = Vec::new();
    for i in 0..CAPACITY {
        let response = cluster
            .request(i % 2, &key, Method::GET, "/ga/api/v3/eng/dkim_keys")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "request {i}");
        let left = response.headers()["x-ratelimit-remaining"]
            .to_str()
            .unwrap();
        remaining.push(left.parse::<usize>().unwrap());
    }
    let expected: Vec<usize> = (0..CAPACITY).rev().collect();
    assert_eq!(remaining, expected, "one budget, counted by both nodes");
    for n in 0..2 {
        let refused = cluster
            .request(n, &key, Method::GET, "/ga/api/v3/eng/dkim_keys")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "node {n}");
        assert!(refused.headers().contains_key("retry-after"));
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["success"], false, "{body}");
    }
    // The tenant's other key has a budget of its own.
    let other = json(
        cluster.on(1, Method::GET, "/ga/api/v3/eng/dkim_keys"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(other["success"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_creates_of_one_selector_over_both_nodes_make_one_key() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let key = cluster.new_api_key().await;
    let (pem, _) = pem();
    let form = [
        ("signing_domain", "example.com"),
        ("selector", "race"),
        ("pem", pem.as_str()),
    ];
    let creates = (0..100).map(|i| {
        cluster
            .request(i % 2, &key, Method::POST, "/v1/dkim/keys")
            .form(&form)
            .send()
    });
    let mut created = 0;
    for response in join_all(creates).await {
        let response = response.expect("the node answers");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        match status {
            StatusCode::OK => created += 1,
            StatusCode::BAD_REQUEST => assert_eq!(
                body,
                serde_json::json!({"message": "failed to create domain key: duplicate key"})
            ),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(created, 1);
    let listed = json(cluster.on(0, Method::GET, "/v1/dkim/keys"), StatusCode::OK).await;
    assert_eq!(listed["total_count"], 1, "{listed}");
}
