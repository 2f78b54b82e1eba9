//! The composition root: adapters built once, the core over them, and the
//! HTTP application serving both dialects.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::ExposeSecret as _;
use signet_domain::ports::SystemClock;
use signet_domain::{CoreSettings, Ports, Signet};
use signet_storage::Storage;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::config::Settings;
use crate::dns::HickoryDns;
use crate::keygen::PooledKeyGenerator;
use crate::limits::CappedListener;
use crate::metrics::MetricsState;
use crate::{auth, dialect, docs, health, master_key, metrics, telemetry};

/// The core and the database it runs on, as the server and the CLI use them.
pub struct Composition {
    /// The use cases.
    pub core: Signet,
    /// The database, for metrics.
    pub storage: Arc<Storage>,
}

/// Opens the database and applies pending migrations.
pub async fn open_storage(settings: &Settings) -> anyhow::Result<Storage> {
    let keyring = master_key::keyring(&settings.master_key, &settings.database())?;
    let storage = Storage::connect(settings.database_url.expose_secret(), keyring)
        .await
        .context("cannot open the database")?;
    storage
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(storage)
}

/// Opens (and migrates) the database and builds the core over it.
pub async fn compose(settings: &Settings) -> anyhow::Result<Composition> {
    let storage = Arc::new(open_storage(settings).await?);
    let dns = HickoryDns::new(&settings.dns).context("cannot set up the DNS resolver")?;
    let ports = Ports {
        keys: storage.clone(),
        domains: storage.clone(),
        tenants: storage.clone(),
        generator: Arc::new(PooledKeyGenerator::new(settings.keygen_concurrency)),
        dns: Arc::new(dns),
        clock: Arc::new(SystemClock),
    };
    Ok(Composition {
        core: Signet::new(ports, CoreSettings::default()),
        storage,
    })
}

/// A built server, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    port: u16,
    router: Router,
    core: Signet,
    metrics: PrometheusHandle,
    max_connections: usize,
}

impl Application {
    /// Opens the database, runs pending migrations, builds the core and binds
    /// the listening socket (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let Composition { core, storage } = compose(&settings).await?;
        let metrics = metrics::handle()?;
        let router = router(&settings, core.clone(), storage, metrics.clone());
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            port,
            router,
            core,
            metrics,
            max_connections: settings.limits.max_connections,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The core it serves, for administration and tests.
    pub fn core(&self) -> Signet {
        self.core.clone()
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let upkeep = tokio::spawn(upkeep(self.metrics));
        let addr = self.listener.local_addr()?;
        tracing::info!(address = %addr, "listening");
        let listener = CappedListener::new(self.listener, self.max_connections);
        let served = axum::serve(listener, self.router)
            .with_graceful_shutdown(stop)
            .await;
        upkeep.abort();
        tracing::info!("stopped");
        served
    }
}

/// Both dialects, health, metrics and docs, behind the api's own layers.
fn router(
    settings: &Settings,
    core: Signet,
    storage: Arc<Storage>,
    handle: PrometheusHandle,
) -> Router {
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
    let operations = Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .with_state(core.clone())
        .route(
            "/metrics",
            get(metrics::render).with_state(MetricsState { handle, storage }),
        );
    // Layers run outside in: the last added sees the request first.
    Router::new()
        .merge(mailgun)
        .merge(greenarrow)
        .merge(operations)
        .merge(docs::router(mailgun_doc, greenarrow_doc))
        .method_not_allowed_fallback(dialect::method_not_allowed)
        .fallback(dialect::not_found)
        .layer(from_fn_with_state(core, auth::authenticate))
        .layer(DefaultBodyLimit::max(settings.limits.body_limit))
        .layer(from_fn_with_state(settings.limits, crate::limits::enforce))
        .layer(from_fn(metrics::track))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(from_fn(telemetry::trace))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Folds histogram samples into buckets now and then, so memory stays flat
/// between scrapes.
async fn upkeep(handle: PrometheusHandle) {
    let mut tick = tokio::time::interval(metrics::UPKEEP_INTERVAL);
    loop {
        tick.tick().await;
        handle.run_upkeep();
    }
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
