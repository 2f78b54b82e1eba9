//! Prometheus metrics: one process-wide recorder, a middleware counting
//! requests, and `GET /metrics`.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_process::Collector;
use signet_domain::auth_cache::CachedTenants;
use signet_domain::key_cache::CachedKeys;
use signet_fleet::FeedCache;
use signet_storage::Storage;

/// Latency buckets in seconds, from a cached lookup to a large key generation.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// How often histograms are folded into their buckets.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The process-wide recorder. Installed on first use, so several servers in
/// one process (as in tests) share it rather than fight over it.
pub fn handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .build_recorder();
    let handle = recorder.handle();
    // Only the first caller's recorder can win; a loser's is dropped unused.
    if HANDLE.set(handle).is_ok() {
        metrics::set_global_recorder(recorder)?;
        describe();
        process().describe();
        build_info();
    }
    Ok(HANDLE.get().expect("set above").clone())
}

/// The `process_*` metrics (CPU seconds, resident memory, open files,
/// start time, threads), read from `/proc` at each scrape.
fn process() -> &'static Collector {
    static PROCESS: OnceLock<Collector> = OnceLock::new();
    PROCESS.get_or_init(Collector::default)
}

/// `signet_build_info{version, profile} 1`, the usual way to show which
/// build a target runs.
fn build_info() {
    metrics::describe_gauge!(
        "signet_build_info",
        "The running build: its version and Cargo profile, always 1"
    );
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    metrics::gauge!(
        "signet_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "profile" => profile
    )
    .set(1.0);
}

fn describe() {
    signet_dns_zone::describe_metrics();
    metrics::describe_counter!("signet_http_requests_total", "HTTP requests answered");
    metrics::describe_histogram!(
        "signet_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request"
    );
    metrics::describe_counter!("signet_key_generations_total", "RSA keys generated");
    metrics::describe_histogram!(
        "signet_key_generation_duration_seconds",
        metrics::Unit::Seconds,
        "Time to generate one RSA key"
    );
    metrics::describe_counter!(
        "signet_key_generations_left_behind_total",
        "RSA keys finished after their caller left, kept for the next request"
    );
    metrics::describe_gauge!("signet_key_pool_depth", "RSA keys ready in the pool");
    metrics::describe_counter!(
        "signet_key_pool_hits_total",
        "Key creations of a pooled size answered with a ready key"
    );
    metrics::describe_counter!(
        "signet_key_pool_misses_total",
        "Key creations of a pooled size that generated their own key: the pool was empty"
    );
    metrics::describe_gauge!("signet_connections_open", "Client connections open");
    metrics::describe_counter!(
        "signet_connections_refused_total",
        "Client connections closed at once: over their address's cap"
    );
    metrics::describe_counter!(
        "signet_connections_timed_out_total",
        "Client connections closed for a slow request head or idling"
    );
    metrics::describe_gauge!("signet_db_pool_size", "Database connections open");
    metrics::describe_gauge!("signet_db_pool_idle", "Database connections idle");
    metrics::describe_counter!(
        "signet_auth_cache_hits_total",
        "API key lookups answered from the authentication cache"
    );
    metrics::describe_counter!(
        "signet_auth_cache_misses_total",
        "API key lookups that asked the database"
    );
}

/// Counts each request by route template (never the raw path, which would
/// let clients mint label values), method and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("signet_http_requests_total", &labels).increment(1);
    metrics::histogram!("signet_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// What `GET /metrics` needs.
#[derive(Clone)]
pub struct MetricsState {
    /// The recorder.
    pub handle: PrometheusHandle,
    /// The database, for pool gauges.
    pub storage: Arc<Storage>,
    /// The authentication cache, for its hit and miss counts.
    pub auth_cache: Arc<CachedTenants>,
    /// The fleet feed cache, for its hit and miss counts.
    pub feed_cache: Arc<FeedCache>,
    /// The read model of the keys, for its hit and miss counts; `None` when off.
    pub key_reads: Option<Arc<CachedKeys>>,
}

/// `GET /metrics`: the Prometheus text format.
pub async fn render(State(state): State<MetricsState>) -> impl IntoResponse {
    let pool = state.storage.pool_status();
    metrics::gauge!("signet_db_pool_size").set(pool.size as f64);
    metrics::gauge!("signet_db_pool_idle").set(pool.idle as f64);
    // The cache counts for itself (the core names no metrics library).
    let auth = state.auth_cache.stats();
    metrics::counter!("signet_auth_cache_hits_total").absolute(auth.hits);
    metrics::counter!("signet_auth_cache_misses_total").absolute(auth.misses);
    process().collect();
    state.handle.run_upkeep();
    let mut body = state.handle.render();
    // This server's own counts, not the process-wide recorder's, which
    // servers sharing a process (tests) would add up.
    body.push_str(&format!(
        "# HELP signet_database_statements_total Statements sent to the database\n\
         # TYPE signet_database_statements_total counter\n\
         signet_database_statements_total {}\n",
        state.storage.statements()
    ));
    let feed = state.feed_cache.stats();
    body.push_str(&format!(
        "# HELP signet_fleet_feed_cache_hits_total Fleet feed reads answered from memory\n\
         # TYPE signet_fleet_feed_cache_hits_total counter\n\
         signet_fleet_feed_cache_hits_total {}\n\
         # HELP signet_fleet_feed_cache_misses_total Fleet feed reads that asked the database\n\
         # TYPE signet_fleet_feed_cache_misses_total counter\n\
         signet_fleet_feed_cache_misses_total {}\n",
        feed.hits, feed.misses
    ));
    let keys = state.key_reads.map(|k| k.stats()).unwrap_or_default();
    body.push_str(&format!(
        "# HELP signet_key_cache_hits_total Key reads answered from memory\n\
         # TYPE signet_key_cache_hits_total counter\n\
         signet_key_cache_hits_total {}\n\
         # HELP signet_key_cache_misses_total Key reads that asked the database\n\
         # TYPE signet_key_cache_misses_total counter\n\
         signet_key_cache_misses_total {}\n",
        keys.hits, keys.misses
    ));
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
}

/// Folds histogram samples into buckets now and then, so memory stays flat
/// between scrapes.
pub async fn upkeep(handle: PrometheusHandle) {
    let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
    loop {
        tick.tick().await;
        handle.run_upkeep();
    }
}
