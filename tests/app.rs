//! Starting the real server for one test: its own database (a temporary
//! SQLite file or a fresh PostgreSQL database), master key, loopback DNS
//! server and port, and a tenant with an API key. Rate limits are on but out
//! of reach, and the background DNS re-check and the key pool are off, unless
//! a test sets them.

use std::net::SocketAddr;
use std::sync::Once;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::{Method, RequestBuilder};
use secrecy::SecretString;
use signet_api::dns::DnsSettings;
use signet_api::{
    Application, ConsoleSettings, KeyPool, LogFormat, MasterKeySource, RateLimit, Recheck, Settings,
};
use signet_domain::{Admin, MinRsaBits, Origin, Signet, TenantName, TenantSettings};
use signet_keygen as keygen;
use signet_testkit::postgres::{postgres_url, POSTGRES_URL_VAR};
use signet_testkit::{FreshPostgres, TcpProxy};
use tempfile::TempDir;

use crate::dns_server::TestDns;
use crate::redis_server::RedisConfig;

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    #[default]
    Sqlite,
    /// A fresh database on the server at `SIGNET_TEST_POSTGRES_URL`.
    Postgres,
}

/// How to start a test app.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// The database.
    pub backend: Backend,
    /// The tenant's `private_key_export` setting.
    pub private_key_export: bool,
    /// The tenant's `min_rsa_bits`; `None` keeps the default (1024).
    pub min_rsa_bits: Option<u32>,
    /// Adjusts the settings before the server is built (limits, timeouts).
    pub configure: Option<fn(&mut Settings)>,
    /// Keep the shared state on this Redis; `None` keeps it in process.
    pub redis: Option<RedisConfig>,
    /// Reach PostgreSQL through a [`TcpProxy`] the test can break
    /// ([`TestApp::database_proxy`]).
    pub database_proxy: bool,
    /// The console's identity provider; `None` leaves only the built-in issuer.
    pub console: Option<ConsoleSettings>,
    /// Resolve through these name servers (real DNS software) instead of
    /// the app's [`TestDns`].
    pub dns_servers: Option<Vec<std::net::SocketAddr>>,
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The port it listens on.
    pub port: u16,
    /// An API key of `tenant`.
    pub api_key: String,
    /// The tenant the app was started with.
    pub tenant: TenantName,
    /// A plain HTTP client.
    pub client: reqwest::Client,
    /// The DNS server the app resolves through.
    pub dns: TestDns,
    /// The server's core, to arrange state and check what HTTP cannot see.
    pub core: Signet,
    /// Tenant administration over the server's database.
    pub admin: Admin,
    /// The database URL the server uses.
    pub database_url: String,
    /// The settings the server was built with, to start more nodes like it.
    pub settings: Settings,
    /// The proxy between the server and PostgreSQL, if asked for.
    pub database_proxy: Option<TcpProxy>,
    /// Where the server answers DNS for its zone, when its settings ask.
    pub dns_zone: Option<SocketAddr>,
    database: TestDatabase,
}

/// Another node serving a [`TestApp`]'s database.
pub struct TestNode {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Its core.
    pub core: Signet,
    /// Where it answers DNS for its zone, when its settings ask.
    pub dns_zone: Option<SocketAddr>,
}

/// Starts an app on SQLite with default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

/// Starts an app on `backend` with default options.
pub async fn spawn_app_on(backend: Backend) -> TestApp {
    spawn_app_with(AppOptions {
        backend,
        ..AppOptions::default()
    })
    .await
}

/// Starts an app on SQLite whose settings `configure` adjusts.
pub async fn spawn_app_configured(configure: fn(&mut Settings)) -> TestApp {
    spawn_app_with(AppOptions {
        configure: Some(configure),
        ..AppOptions::default()
    })
    .await
}

/// Starts an app on SQLite whose tenant may export private keys.
pub async fn spawn_app_exporting_keys() -> TestApp {
    spawn_app_with(AppOptions {
        private_key_export: true,
        ..AppOptions::default()
    })
    .await
}

/// Starts an app. Panics if PostgreSQL is asked for and not configured.
pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    init_logging();
    let database = match options.backend {
        Backend::Sqlite => TestDatabase::sqlite(),
        Backend::Postgres => {
            TestDatabase::Postgres(FreshPostgres::create().await.unwrap_or_else(|| {
                panic!("{POSTGRES_URL_VAR} must name a PostgreSQL server for this test")
            }))
        }
    };
    let database_proxy = match (&database, options.database_proxy) {
        (_, false) => None,
        (TestDatabase::Postgres(postgres), true) => {
            Some(TcpProxy::start(postgres.server_addr().await).await)
        }
        (TestDatabase::Sqlite(_), true) => panic!("a database proxy needs PostgreSQL"),
    };
    let database_url = match (&database, &database_proxy) {
        (TestDatabase::Postgres(postgres), Some(proxy)) => postgres.url_via(proxy.addr()),
        _ => database.url(),
    };
    let dns = TestDns::start().await;
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        database_url: SecretString::from(database_url.clone()),
        master_key: MasterKeySource::Base64(SecretString::from(random_master_key())),
        keygen: keygen::Config {
            concurrency: 2,
            // Hundreds of servers start in one run, each using a key or two:
            // filling a pool at every start would cost more than it saves.
            pool: KeyPool::default(),
            ..keygen::Config::default()
        },
        dns: DnsSettings {
            servers: options.dns_servers.unwrap_or_else(|| vec![dns.addr()]),
            timeout: Duration::from_millis(300),
            attempts: 1,
        },
        rate_limit: RateLimit {
            capacity: 1_000_000,
            refill_per_second: 1_000.0,
        },
        dns_recheck: Recheck {
            interval: Duration::ZERO,
            ..Recheck::default()
        },
        ..Settings::default()
    };
    if let Some(redis) = options.redis {
        settings.redis_url = Some(SecretString::from(redis.url));
        settings.redis_key_prefix = redis.key_prefix;
    }
    if let Some(console) = options.console {
        settings.console = console;
    }
    if let Some(configure) = options.configure {
        configure(&mut settings);
    }
    let app = Application::build(settings.clone())
        .await
        .expect("the server builds");
    let port = app.port();
    let dns_zone = app.dns_addr();
    let core = app.core();
    let admin = app.admin();
    tokio::spawn(app.run_until_stopped());

    let tenant = TenantName::parse("acme").expect("a valid tenant name");
    let (created, key) = admin
        .create_tenant(&Origin::cli(), &tenant)
        .await
        .expect("the test tenant is created");
    if options.private_key_export || options.min_rsa_bits.is_some() {
        let settings = TenantSettings {
            private_key_export: options.private_key_export,
            min_rsa_bits: options
                .min_rsa_bits
                .map_or_else(MinRsaBits::default, |bits| {
                    MinRsaBits::try_from(bits).expect("512, 1024 or 2048")
                }),
        };
        admin
            .update_tenant_settings(&created, &Origin::cli(), settings)
            .await
            .expect("the tenant's settings are updated");
    }
    let app = TestApp {
        base_url: format!("http://127.0.0.1:{port}"),
        port,
        api_key: key.secret.expose().to_owned(),
        tenant,
        client: reqwest::Client::new(),
        dns,
        core,
        admin,
        database_url,
        settings,
        database_proxy,
        dns_zone,
        database,
    };
    // The socket is bound before `build` returns, so this answers at once.
    let alive = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("the server answers");
    assert!(alive.status().is_success(), "healthz: {}", alive.status());
    app
}

impl TestApp {
    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request as the app's tenant (`Authorization: Basic api:KEY`).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth("api", Some(&self.api_key))
    }

    /// `GET path` as the app's tenant.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// `POST path` as the app's tenant.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// `PUT path` as the app's tenant.
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// `DELETE path` as the app's tenant.
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// The body of an unauthenticated `GET path` (metrics, docs).
    pub async fn public_text(&self, path: &str) -> String {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// Creates another tenant and returns its API key.
    pub async fn new_tenant(&self, name: &str) -> String {
        let name = TenantName::parse(name).expect("a valid tenant name");
        let (_, key) = self
            .admin
            .create_tenant(&Origin::cli(), &name)
            .await
            .expect("the tenant is created");
        key.secret.expose().to_owned()
    }

    /// Starts another server like this one (a second node): same database,
    /// master key, DNS server and shared state, its own port. It serves until
    /// the test ends.
    pub async fn spawn_node(&self) -> TestNode {
        let app = Application::build(self.settings.clone())
            .await
            .expect("the second node builds");
        let node = TestNode {
            base_url: format!("http://127.0.0.1:{}", app.port()),
            core: app.core(),
            dns_zone: app.dns_addr(),
        };
        tokio::spawn(app.run_until_stopped());
        node
    }

    /// Drops the app's PostgreSQL database under it, as an outage would.
    pub async fn drop_database(&self) {
        match &self.database {
            TestDatabase::Postgres(database) => database.drop_database().await,
            TestDatabase::Sqlite(_) => panic!("drop_database needs the PostgreSQL backend"),
        }
    }
}

/// SQLite, and PostgreSQL when configured: for tests that run on both.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if postgres_url().is_some() {
        all.push(Backend::Postgres);
    } else {
        crate::skip(&format!("{POSTGRES_URL_VAR} is not set: SQLite only"));
    }
    all
}

/// Where a test app keeps its data; cleaned up when the app is dropped.
enum TestDatabase {
    Sqlite(TempDir),
    Postgres(FreshPostgres),
}

impl TestDatabase {
    fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().expect("a temporary directory"))
    }

    fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("signet.db").display()
            ),
            Self::Postgres(database) => database.url().to_owned(),
        }
    }
}

/// A fresh random master key, base64 of 32 bytes.
fn random_master_key() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

/// Logs from the servers under test, only when `RUST_LOG` asks for them.
fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("RUST_LOG").is_some() {
            let _ = signet_api::telemetry::init(LogFormat::Text);
        }
    });
}
