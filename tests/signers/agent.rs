//! The agent against a changing feed: every target follows on the next
//! poll and `--on-change` runs once per change, a rotation's pending key
//! is held until its promotion makes it sign; a revoked token and an
//! outage leave the last good set in place, and the agent catches up when
//! Signet answers again.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use signet_domain::{FleetName, Origin};
use signet_tests::dialect::mailgun::publish;
use signet_tests::dialect::send;
use signet_tests::fixtures::keys;
use signet_tests::skip::redis_or_skip;
use signet_tests::tcp_proxy::{Mode, TcpProxy};
use signet_tests::{backends, eventually, spawn_app_on, Backend, RedisConfig, TestApp};

use super::{options, sync_once, RunningAgent};
use crate::fleet::{create_fleet, poll};

/// How often the agent polls in these tests.
const INTERVAL: Duration = Duration::from_millis(100);
/// How long a change may take to reach the targets.
const WITHIN: Duration = Duration::from_secs(15);

/// The three targets of one agent, and where to look at them.
struct Targets {
    dir: tempfile::TempDir,
    redis: RedisConfig,
}

impl Targets {
    fn new(redis: RedisConfig) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            redis,
        }
    }

    fn opendkim(&self) -> std::path::PathBuf {
        self.dir.path().join("opendkim")
    }

    fn plain(&self) -> std::path::PathBuf {
        self.dir.path().join("dir")
    }

    fn hash(&self, name: &str) -> String {
        format!("{}{name}", self.redis.key_prefix)
    }

    fn specs(&self) -> Vec<String> {
        vec![
            format!("opendkim:{}", self.opendkim().display()),
            format!(
                "rspamd-redis:{}?key_prefix={}&selector_prefix={}",
                self.redis.url,
                self.hash("DKIM_KEYS"),
                self.hash("DKIM_SELECTORS")
            ),
            format!("dir:{}", self.plain().display()),
        ]
    }

    /// `--on-change`: a line appended per run.
    fn on_change(&self) -> String {
        format!(
            "echo changed >> {}",
            self.dir.path().join("changes").display()
        )
    }

    fn changes(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("changes"))
            .map_or(0, |text| text.lines().count())
    }

    /// The (domain, selector) pairs of the dir target's manifest.
    fn manifest(&self) -> Vec<(String, String)> {
        let Ok(bytes) = std::fs::read(self.plain().join("keys.json")) else {
            return Vec::new();
        };
        let manifest: Value = serde_json::from_slice(&bytes).expect("a JSON manifest");
        manifest["keys"]
            .as_array()
            .expect("a key list")
            .iter()
            .map(|k| {
                let field = |name: &str| k[name].as_str().unwrap().to_owned();
                (field("domain"), field("selector"))
            })
            .collect()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.opendkim().join(name)).unwrap_or_default()
    }

    async fn hgetall(&self, name: &str) -> HashMap<String, String> {
        let mut conn = redis::Client::open(self.redis.url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        redis::cmd("HGETALL")
            .arg(self.hash(name))
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    /// Everything the targets hold, to compare before and after.
    async fn snapshot(&self) -> String {
        let mut keys: Vec<_> = self.hgetall("DKIM_KEYS").await.into_iter().collect();
        keys.sort();
        let mut selectors: Vec<_> = self.hgetall("DKIM_SELECTORS").await.into_iter().collect();
        selectors.sort();
        format!(
            "{}\n{}\n{:?}\n{keys:?}\n{selectors:?}",
            self.read("KeyTable"),
            self.read("SigningTable"),
            self.manifest()
        )
    }

    async fn cleanup(&self) {
        let mut conn = redis::Client::open(self.redis.url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let _: () = redis::cmd("DEL")
            .arg(self.hash("DKIM_KEYS"))
            .arg(self.hash("DKIM_SELECTORS"))
            .arg(format!("{}:signet:mta", self.hash("DKIM_KEYS")))
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(d, s)| ((*d).to_owned(), (*s).to_owned()))
        .collect()
}

/// Waits until the dir target lists `expected` and `--on-change` has run
/// once more than `runs` times: every target is then written, since the
/// command runs after all of them. Fails if it ran more often.
/// Waits until the dir target lists `expected`.
async fn until_listed(targets: &Targets, expected: &[(&str, &str)]) {
    let expected = pairs(expected);
    eventually(WITHIN, &format!("the manifest lists {expected:?}"), || {
        let found = targets.manifest() == expected;
        async move { found.then_some(()) }
    })
    .await;
}

async fn until_synced(targets: &Targets, expected: &[(&str, &str)], runs: usize) {
    let expected = pairs(expected);
    let what = format!("the manifest lists {expected:?}, --on-change ran");
    let now = eventually(WITHIN, &what, || {
        let done = targets.manifest() == expected;
        let now = targets.changes();
        async move { (done && now > runs).then_some(now) }
    })
    .await;
    assert_eq!(now, runs + 1, "--on-change runs once per change");
}

async fn additions_deletions_and_rotations_reach_every_target_on_the_next_poll(backend: Backend) {
    let Some(redis) = redis_or_skip() else { return };
    let app = spawn_app_on(backend).await;
    let pems = keys().await;
    let ga = app.greenarrow();
    let s1 = ga.import("a.example", "s1", &pems[0].pkcs1).await;
    // A fleet reads only domains its tenant has: b.example had a key once.
    let b0 = ga.import("b.example", "b0", &pems[2].pkcs1).await;
    let token = create_fleet(&app, "mta", "a.example,b.example").await;
    ga.delete(b0).await.ok();
    let targets = Targets::new(redis);
    let mut opts = options(&app.base_url, &token, &targets.specs());
    opts.on_change = Some(targets.on_change());
    let agent = RunningAgent::start(opts, INTERVAL);

    until_synced(&targets, &[("a.example", "s1")], 0).await;
    let key_file = targets.opendkim().join("keys/a.example/s1.private");
    assert!(key_file.exists());
    let selectors = targets.hgetall("DKIM_SELECTORS").await;
    assert_eq!(selectors.get("a.example").map(String::as_str), Some("s1"));
    tokio::time::sleep(INTERVAL * 5).await;
    assert_eq!(targets.changes(), 1, "an unchanged feed changes nothing");

    // Added: a new key on a.example, then a first one on b.example.
    ga.import("a.example", "s2", &pems[1].pkcs1).await;
    until_synced(&targets, &[("a.example", "s1"), ("a.example", "s2")], 1).await;
    assert!(targets
        .read("KeyTable")
        .contains("s2._domainkey.a.example a.example:s2:"));
    let b1 = ga.import("b.example", "b1", &pems[2].pkcs1).await;
    let all = [
        ("a.example", "s1"),
        ("a.example", "s2"),
        ("b.example", "b1"),
    ];
    until_synced(&targets, &all, 2).await;
    assert!(targets
        .read("SigningTable")
        .contains("*@b.example b1._domainkey.b.example"));
    let keys = targets.hgetall("DKIM_KEYS").await;
    assert!(keys.contains_key("s2.a.example") && keys.contains_key("b1.b.example"));

    // Rotated: the old key goes, the new one signs everywhere.
    ga.delete(s1).await.ok();
    until_synced(&targets, &[("a.example", "s2"), ("b.example", "b1")], 3).await;
    assert!(!key_file.exists(), "the old key file is removed");
    assert!(!targets.plain().join("a.example/s1.pem").exists());
    assert!(!targets.read("KeyTable").contains("s1._domainkey.a.example"));
    assert!(targets
        .read("SigningTable")
        .contains("*@a.example s2._domainkey.a.example"));
    let keys = targets.hgetall("DKIM_KEYS").await;
    assert!(!keys.contains_key("s1.a.example"), "{:?}", keys.keys());
    let selectors = targets.hgetall("DKIM_SELECTORS").await;
    assert_eq!(selectors.get("a.example").map(String::as_str), Some("s2"));

    // Deleted: b.example's only key, and its selector with it.
    ga.delete(b1).await.ok();
    until_synced(&targets, &[("a.example", "s2")], 4).await;
    assert!(!targets.opendkim().join("keys/b.example").exists());
    let selectors = targets.hgetall("DKIM_SELECTORS").await;
    assert!(!selectors.contains_key("b.example"));

    agent.stop().await;
    targets.cleanup().await;
}

#[tokio::test]
async fn additions_deletions_and_rotations_reach_every_target_on_every_backend() {
    for backend in backends() {
        additions_deletions_and_rotations_reach_every_target_on_the_next_poll(backend).await;
    }
}

/// An app with a key on a.example and a fleet reading it; its token.
async fn one_key(app: &TestApp) -> (i64, String) {
    let id = app
        .greenarrow()
        .import("a.example", "s1", &keys().await[0].pkcs1)
        .await;
    (id, create_fleet(app, "mta", "a.example").await)
}

#[tokio::test]
async fn a_revoked_token_leaves_the_last_good_set_in_place() {
    let Some(redis) = redis_or_skip() else { return };
    let app = spawn_app_on(Backend::Sqlite).await;
    let (id, token) = one_key(&app).await;
    let targets = Targets::new(redis);
    sync_once(&app.base_url, &token, &targets.specs())
        .await
        .unwrap();
    let before = targets.snapshot().await;
    let agent = RunningAgent::start(options(&app.base_url, &token, &targets.specs()), INTERVAL);

    let tenant = app.admin.tenant(&app.tenant).await.unwrap();
    app.admin
        .revoke_fleet(&tenant, &Origin::cli(), &FleetName::parse("mta").unwrap())
        .await
        .unwrap();
    app.greenarrow().delete(id).await.ok();
    tokio::time::sleep(INTERVAL * 10).await;
    assert_eq!(targets.snapshot().await, before, "nothing is removed");
    assert!(targets
        .opendkim()
        .join("keys/a.example/s1.private")
        .exists());

    let refused = sync_once(&app.base_url, &token, &targets.specs())
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("401"), "{refused:#}");
    agent.stop().await;
    targets.cleanup().await;
}

#[tokio::test]
async fn an_outage_keeps_the_last_good_set_and_the_agent_catches_up_after_it() {
    let Some(redis) = redis_or_skip() else { return };
    let app = spawn_app_on(Backend::Sqlite).await;
    let (id, token) = one_key(&app).await;
    let proxy = TcpProxy::start(([127, 0, 0, 1], app.port).into()).await;
    let url = format!("http://{}", proxy.addr());
    let targets = Targets::new(redis);
    let agent = RunningAgent::start(options(&url, &token, &targets.specs()), INTERVAL);
    until_listed(&targets, &[("a.example", "s1")]).await;
    let before = targets.snapshot().await;

    proxy.set(Mode::Refuse);
    app.greenarrow()
        .import("a.example", "s2", &keys().await[1].pkcs1)
        .await;
    app.greenarrow().delete(id).await.ok();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(targets.snapshot().await, before, "the last good set stays");
    let down = sync_once(&url, &token, &targets.specs()).await;
    assert!(down.is_err(), "--once fails while Signet is unreachable");

    proxy.set(Mode::Forward);
    until_listed(&targets, &[("a.example", "s2")]).await;
    let selectors = targets.hgetall("DKIM_SELECTORS").await;
    assert_eq!(selectors.get("a.example").map(String::as_str), Some("s2"));
    agent.stop().await;
    targets.cleanup().await;
}

#[tokio::test]
async fn a_rotations_pending_key_is_held_then_signs_once_promoted() {
    let Some(redis) = redis_or_skip() else { return };
    let app = spawn_app_on(Backend::Sqlite).await;
    let mg = app.mailgun();
    mg.create_domain("example.com", "mx").await.expect(200);
    let (_, record) = mg.keys_of("example.com").await.remove(0);
    publish(&app, &record);
    mg.key_action("example.com", "mx", "activate")
        .await
        .expect(200);
    let token = create_fleet(&app, "mta", "example.com").await;
    let targets = Targets::new(redis);
    let mut opts = options(&app.base_url, &token, &targets.specs());
    opts.on_change = Some(targets.on_change());
    let agent = RunningAgent::start(opts, INTERVAL);
    until_synced(&targets, &[("example.com", "mx")], 0).await;

    // Rotated: the new key is written everywhere, but does not sign yet.
    let rotate = "/v1/dkim_management/domains/example.com/rotate";
    let rotated = send(mg.request(Method::POST, rotate)).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let feed = poll(&app, &token, None).await;
    let listed = feed.listed();
    let new = listed[1].1.clone();
    let pairs: Vec<(&str, &str)> = listed
        .iter()
        .map(|(d, s)| (d.as_str(), s.as_str()))
        .collect();
    until_synced(&targets, &pairs, 1).await;
    let new_entry = format!("{new}._domainkey.example.com example.com:{new}:");
    assert!(targets.read("KeyTable").contains(&new_entry));
    assert!(targets
        .read("SigningTable")
        .ends_with("*@example.com mx._domainkey.example.com\n"));
    let keys = targets.hgetall("DKIM_KEYS").await;
    assert!(keys.contains_key(&format!("{new}.example.com")));
    let selectors = targets.hgetall("DKIM_SELECTORS").await;
    assert_eq!(selectors["example.com"], "mx", "mx still signs");

    // Promoted once its record is published: it signs, mx retires but stays.
    publish(&app, &feed.ok()["keys"][1]["dns_record"]);
    let verified = send(mg.request(Method::PUT, "/v4/domains/example.com/verify")).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    until_synced(&targets, &pairs, 2).await;
    assert!(targets
        .read("SigningTable")
        .ends_with(&format!("*@example.com {new}._domainkey.example.com\n")));
    assert!(targets
        .read("KeyTable")
        .contains("mx._domainkey.example.com"));
    let selectors = targets.hgetall("DKIM_SELECTORS").await;
    assert_eq!(selectors["example.com"], new);
    assert!(targets
        .hgetall("DKIM_KEYS")
        .await
        .contains_key("mx.example.com"));

    agent.stop().await;
    targets.cleanup().await;
}
