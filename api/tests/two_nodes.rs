//! Two `signet serve` processes on one PostgreSQL database and one Redis,
//! behind no load balancer but the test itself, which spreads requests over
//! both: they must behave as one service.
//!
//! Needs `SIGNET_TEST_POSTGRES_URL` (skipped without it, except under
//! `CI=true`), and Redis: `SIGNET_TEST_REDIS_URL`, or else a private
//! `redis-server`.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures::future::join_all;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::Value;
use signet_domain::{KeySize, PrivateKey};
use signet_testkit::dns_server::split;
use signet_testkit::signet_process::{self, SignetServer};
use signet_testkit::{eventually, FreshPostgres, PrivateRedis, RedisConfig, TestDns};
use tokio::process::Command;

const SIGNET: &str = env!("CARGO_BIN_EXE_signet");
/// The burst each API key gets: enough for the hundred concurrent creates.
const CAPACITY: usize = 150;

/// Two nodes, their database, Redis and DNS server, and a tenant's API key.
struct Cluster {
    nodes: [SignetServer; 2],
    dns: TestDns,
    env: Vec<(&'static str, String)>,
    api_key: String,
    client: Client,
    // Dropped last: the nodes must be gone before the database is.
    _redis: Option<PrivateRedis>,
    _database: FreshPostgres,
}

impl Cluster {
    /// Starts everything; `None` when PostgreSQL is not configured (outside CI).
    async fn start() -> Option<Self> {
        let database = FreshPostgres::create().await?;
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
            ("SIGNET_DATABASE_URL", database.url().to_owned()),
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
        let nodes = [
            SignetServer::start(signet(&env, &["serve"])).await,
            SignetServer::start(signet(&env, &["serve"])).await,
        ];
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
    async fn wait_ready(&self, node: &SignetServer) {
        let url = format!("{}/readyz", node.base_url);
        eventually(
            Duration::from_secs(20),
            &format!("{url} is ready"),
            || async {
                let body: Value = self.client.get(&url).send().await.ok()?.json().await.ok()?;
                (body["status"] == "ok" && body["redis"] == "redis").then_some(())
            },
        )
        .await;
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
    let mut command = signet_process::signet(SIGNET, args);
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    command
}

async fn run_json(env: &[(&'static str, String)], args: &[&str]) -> Value {
    let out = signet_process::output(signet(env, args)).await;
    assert!(
        out.status.success(),
        "signet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// A 1024-bit key as PKCS#1 PEM, and the TXT value that publishes it.
fn pem() -> (String, String) {
    let size = KeySize::try_from(1024u32).expect("a supported size");
    let key = PrivateKey::generate_rsa(size).expect("RSA generation");
    (
        key.to_pem().to_string(),
        format!("k=rsa; p={}", key.public_key()),
    )
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
