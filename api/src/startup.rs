//! The composition root: adapters built once, the core over them, and the
//! HTTP application serving both dialects, with the background DNS re-check
//! and, when configured, the DNS zone.

use std::future::Future;
use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::ExposeSecret as _;
use signet_console::{BuiltInIssuer, ConsoleState};
use signet_domain::auth_cache::CachedTenants;
use signet_domain::feed_changes::{AnnouncedFleets, AnnouncedKeys, AnnouncedRotations};
use signet_domain::key_cache::{CachedKeys, KeyReadModel};
use signet_domain::ports::{DnsLookup, SystemClock};
use signet_domain::shared_state::{
    HereAndAway, Leases, Listeners, TenantChangeListener, TenantChanges,
};
use signet_domain::{Admin, CoreSettings, Ports, Signet};
use signet_fleet::{FeedCache, FleetState};
use signet_storage::shared::{ChangeSubscription, SharedState};
use signet_storage::{Bounded, Storage, StorageError};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::api_key_use::UsageRecorder;
use crate::dns_zone::DnsZone;
use crate::health::Readiness;
use crate::limits::Limits;
use crate::metrics::MetricsState;
use crate::publish::Publish;
use crate::ratelimit::RateLimits;
use crate::recheck::Recheck;
use crate::rotation::Rotation;
use crate::settings::Settings;
use crate::{
    api_key_use, auth, dialect, docs, health, key_reads, master_key, metrics, publish, ratelimit,
    recheck, rotation, telemetry,
};
use signet_connections::tls::Tls;
use signet_dns_publish::Rfc2136;
use signet_keygen::PooledKeyGenerator;

/// The core and the database it runs on, as the server and the CLI use them.
pub struct Composition {
    /// The use cases.
    pub core: Signet,
    /// Tenant administration, over the same adapters.
    pub admin: Admin,
    /// The database, for metrics.
    pub storage: Arc<Storage>,
    /// The authentication cache in front of the tenant store, for the
    /// announcements of other nodes and for metrics.
    pub auth_cache: Arc<CachedTenants>,
    /// The key generator the core uses, for the server's background refill.
    pub generator: PooledKeyGenerator,
    /// The read model of the keys, for its sweep; `None` when off.
    pub key_reads: Option<Arc<CachedKeys>>,
}

/// Opens the database, applies pending migrations, and checks that the
/// configured master keys open what it holds sealed.
pub async fn open_storage(settings: &Settings) -> anyhow::Result<Storage> {
    let keyring = master_key::keyring(
        &settings.master_key,
        settings.previous_master_keys.as_ref(),
        &settings.database()?,
    )?;
    let storage = Storage::connect_with_timeout(
        settings.database_url.expose_secret(),
        keyring,
        settings.database_timeout,
    )
    .await?;
    storage.migrate().await?;
    storage.check_master_key().await.map_err(|e| match e {
        StorageError::WrongMasterKey { .. } => anyhow!(e).context(
            "refusing to start: wrong master key. Set SIGNET_MASTER_KEY (or \
             SIGNET_MASTER_KEY_FILE) to the key the database needs, or keep it in \
             SIGNET_MASTER_KEY_PREVIOUS after a rotation",
        ),
        other => anyhow!(other).context("refusing to start"),
    })?;
    Ok(storage)
}

/// Opens (and migrates) the database and builds the core over it, looking
/// DNS records up through `dns`, sharing background work through `leases`
/// and announcing revocations, settings changes and key changes (for the
/// fleet feed caches) on `changes`. Key reads are answered from `key_reads`
/// when given (the caller makes it hear `changes`).
pub async fn compose(
    settings: &Settings,
    dns: Arc<dyn DnsLookup>,
    leases: Arc<dyn Leases>,
    changes: Arc<dyn TenantChanges>,
    key_reads: Option<Arc<KeyReadModel>>,
) -> anyhow::Result<Composition> {
    let storage = Arc::new(open_storage(settings).await?);
    let store = Arc::new(Bounded::new(Storage::clone(&storage), storage.timeout()));
    let generator = PooledKeyGenerator::new(
        settings.keygen.concurrency,
        settings.keygen.queue_timeout,
        &settings.keygen.pool,
    );
    let auth_cache = Arc::new(CachedTenants::new(
        store.clone(),
        changes.clone(),
        settings.auth_cache,
    ));
    let key_reads =
        key_reads.map(|model| Arc::new(CachedKeys::new(store.clone(), store.clone(), model)));
    let keys: Arc<dyn signet_domain::ports::KeyStore> = match &key_reads {
        Some(cached) => cached.clone(),
        None => store.clone(),
    };
    let ports = Ports {
        keys: Arc::new(AnnouncedKeys::new(keys, changes.clone())),
        domains: store.clone(),
        fleets: Arc::new(AnnouncedFleets::new(store.clone(), changes.clone())),
        rotation: Arc::new(AnnouncedRotations::new(store.clone(), changes)),
        publishers: store.clone(),
        updater: Arc::new(Rfc2136::new(settings.publish.timeout)),
        tenants: auth_cache.clone(),
        zone: storage.clone(),
        audit: store,
        generator: Arc::new(generator.clone()),
        dns,
        clock: Arc::new(SystemClock),
        leases,
    };
    Ok(Composition {
        admin: Admin::new(ports.clone()),
        core: Signet::new(
            ports,
            CoreSettings {
                rotation_min_interval: settings.rotation.min_span(),
                dns_zone: settings.dns_zone.zone.clone(),
                ..CoreSettings::default()
            },
        ),
        storage,
        auth_cache,
        generator,
        key_reads,
    })
}

/// A built server, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    port: u16,
    router: Router,
    core: Signet,
    admin: Admin,
    metrics: PrometheusHandle,
    limits: Limits,
    /// Refilled in the background while the server runs.
    generator: PooledKeyGenerator,
    /// The background re-check's settings; `None` when it is off.
    recheck: Option<Recheck>,
    /// The background rotation's settings.
    rotation: Rotation,
    /// The background DNS publisher's settings; `None` when it is off.
    publish: Option<Publish>,
    /// Wakes the publisher when keys change, here or on another node.
    wake: Arc<publish::Wake>,
    /// The read model of the keys and how often it is swept; `None` when off.
    key_reads: Option<(Arc<CachedKeys>, std::time::Duration)>,
    /// Other nodes' announcements reaching the authentication cache; `None`
    /// without Redis.
    changes: Option<ChangeSubscription>,
    /// The certificate served, when serving HTTPS.
    tls: Option<Tls>,
    /// The DNS server, when `SIGNET_DNS_LISTEN` is set.
    dns_zone: Option<DnsZone>,
}

impl Application {
    /// Opens the database, runs pending migrations, connects the shared
    /// state, builds the core and binds the listening socket (port 0 picks a
    /// free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // First, so that what the adapters record as they start is kept.
        let metrics = metrics::handle()?;
        let idp = settings.console.idp()?;
        let shared = crate::shared_state::connect(&settings).await?;
        let dns = crate::lookups::lookups(&settings, &shared)?;
        let feed_cache = Arc::new(FeedCache::new(settings.feed_cache));
        let dns_zone = DnsZone::bind(&settings.dns_zone).await?;
        let wake = Arc::new(publish::Wake::default());
        let key_reads = (settings.key_cache.max_keys > 0)
            .then(|| Arc::new(KeyReadModel::new(settings.key_cache)));
        let mut here: Vec<Arc<dyn TenantChangeListener>> = vec![feed_cache.clone(), wake.clone()];
        here.extend(key_reads.as_ref().map(|m| m.clone() as _));
        here.extend(dns_zone.as_ref().map(|z| z.changes.clone() as _));
        // A change made on this node reaches its feed cache, key read model,
        // publisher and zone at once, and the other nodes' through the shared channel.
        let announce = Arc::new(HereAndAway {
            here: Arc::new(Listeners(here.clone())),
            away: shared.tenant_changes(),
        });
        let Composition {
            core,
            admin,
            storage,
            auth_cache,
            generator,
            key_reads,
        } = compose(&settings, dns, shared.leases(), announce, key_reads).await?;
        let listeners = Listeners([vec![auth_cache.clone() as _], here].concat());
        let changes = shared.listen_for_tenant_changes(Arc::new(listeners)).await;
        let recheck = (!settings.dns_recheck.interval.is_zero()).then_some(settings.dns_recheck);
        let metrics_state = MetricsState {
            handle: metrics.clone(),
            storage: storage.clone(),
            auth_cache,
            feed_cache: feed_cache.clone(),
            key_reads: key_reads.clone(),
        };
        let console = ConsoleState::start(
            core.clone(),
            admin.clone(),
            BuiltInIssuer::of(|purpose| storage.derive_secret(purpose)),
            signet_console::Config {
                idp,
                jwks_refetch_interval: settings.console.jwks_refetch_interval,
            },
        )
        .await?;
        let fleet = FleetState {
            core: core.clone(),
            cache: feed_cache,
        };
        let tls = settings.tls.clone().map(Tls::load).transpose()?;
        let router = router(&settings, console, fleet, storage, shared, metrics_state);
        let listener = signet_connections::bind(settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            port,
            router,
            core,
            admin,
            metrics,
            limits: settings.limits,
            generator,
            recheck,
            rotation: settings.rotation,
            publish: (!settings.publish.interval.is_zero()).then_some(settings.publish),
            wake,
            key_reads: key_reads.map(|keys| (keys, settings.key_cache.sweep_interval)),
            changes,
            tls,
            dns_zone,
        })
    }

    /// Where the DNS zone is answered, when it is.
    pub fn dns_addr(&self) -> Option<std::net::SocketAddr> {
        self.dns_zone.as_ref().and_then(|z| z.local_addr().ok())
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The core it serves, for tests.
    pub fn core(&self) -> Signet {
        self.core.clone()
    }

    /// Tenant administration over the same database, for tests.
    pub fn admin(&self) -> Admin {
        self.admin.clone()
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(signet_agent::signal::stop()?).await
    }

    /// Serves until `stop` completes, then finishes the requests in flight.
    /// The key pool's refill, the background DNS re-check and rotation run meanwhile
    /// and stop with it. The pool starts empty: requests are served while it
    /// fills.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let upkeep = tokio::spawn(metrics::upkeep(self.metrics));
        let refill = tokio::spawn(self.generator.refill());
        let recheck = self
            .recheck
            .map(|settings| tokio::spawn(recheck::run(self.core.clone(), settings)));
        let rotation = tokio::spawn(rotation::run(self.core.clone(), self.rotation));
        let publish = self
            .publish
            .map(|settings| tokio::spawn(publish::run(self.core.clone(), settings, self.wake)));
        let sweep = self
            .key_reads
            .map(|(keys, every)| tokio::spawn(key_reads::sweep(keys, every)));
        let addr = self.listener.local_addr()?;
        tracing::info!(address = %addr, "listening");
        let dns_zone = match self.dns_zone {
            Some(zone) => {
                tracing::info!(address = %zone.local_addr()?, "answering DNS");
                Some(tokio::spawn(zone.run(self.core.clone())))
            }
            None => None,
        };
        let reload = match &self.tls {
            Some(tls) => Some(tokio::spawn(tls.reload_on_change()?)),
            None => None,
        };
        signet_connections::serve(
            self.listener,
            self.router,
            self.limits.connections(),
            self.tls,
            stop,
        )
        .await;
        drop(self.changes);
        upkeep.abort();
        refill.abort();
        if let Some(recheck) = recheck {
            recheck.abort();
        }
        rotation.abort();
        if let Some(publish) = publish {
            publish.abort();
        }
        if let Some(sweep) = sweep {
            sweep.abort();
        }
        if let Some(reload) = reload {
            reload.abort();
        }
        if let Some(dns_zone) = dns_zone {
            dns_zone.abort();
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Both dialects (rate limited), health, metrics and docs, behind the api's
/// own layers.
fn router(
    settings: &Settings,
    console: ConsoleState,
    fleet: FleetState,
    storage: Arc<Storage>,
    shared: SharedState,
    metrics_state: MetricsState,
) -> Router {
    let core = console.core.clone();
    let (console, console_doc) = signet_console::router(console);
    let (mut fleet, fleet_doc) = signet_fleet::router(fleet);
    let (mailgun, mailgun_doc) = signet_compat_mailgun::router(
        core.clone(),
        signet_compat_mailgun::Config {
            trust_forwarded_headers: settings.trust_forwarded_headers,
        },
    );
    let (greenarrow, greenarrow_doc) = signet_compat_greenarrow::router(
        core.clone(),
        signet_compat_greenarrow::Config {
            trust_forwarded_headers: settings.trust_forwarded_headers,
        },
    );
    let mut dialects = Router::new()
        .merge(mailgun)
        .merge(greenarrow)
        // Inside the auth layer, which names the API key that was used.
        .layer(from_fn_with_state(
            UsageRecorder::new(core.clone()),
            api_key_use::record,
        ));
    if settings.rate_limit.capacity > 0 {
        let limits = RateLimits::new(
            shared.rate_limiter(),
            &crate::shared_state::rate_limit_settings(settings),
        );
        // Inside the auth layer, which names the API key to count against.
        dialects = dialects.layer(from_fn_with_state(limits.clone(), ratelimit::enforce));
        fleet = fleet
            .layer(from_fn_with_state(limits, ratelimit::enforce))
            .layer(from_fn(signet_fleet::extract::rate_bucket));
    }
    let readiness = Readiness {
        storage: storage.clone(),
        shared,
    };
    let operations = Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready).with_state(readiness))
        .route("/metrics", get(metrics::render).with_state(metrics_state));
    // Layers run outside in: the last added sees the request first.
    Router::new()
        .merge(dialects)
        .merge(console)
        .merge(fleet)
        .merge(operations)
        .merge(docs::router(
            mailgun_doc,
            greenarrow_doc,
            console_doc,
            fleet_doc,
        ))
        .method_not_allowed_fallback(dialect::method_not_allowed)
        .fallback(dialect::not_found)
        .layer(CatchPanicLayer::custom(dialect::panic_response))
        .layer(from_fn(dialect::reshape_panics))
        .layer(from_fn_with_state(core, auth::authenticate))
        .layer(DefaultBodyLimit::max(settings.limits.body_limit))
        .layer(from_fn_with_state(settings.limits, crate::limits::enforce))
        .layer(from_fn(metrics::track))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(from_fn(telemetry::trace))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(from_fn(telemetry::sanitize_request_id))
}
