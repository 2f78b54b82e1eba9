//! The fleet key feed under `/fleet/v1/`: what a tenant's signers read with
//! a fleet token (see [`extract`]), served from a cache ([`cache`]) while
//! nothing changes. Errors are `application/problem+json`.

pub mod cache;
pub mod error;
pub mod extract;
mod feed;
mod openapi;
mod wire;

use std::sync::Arc;

use signet_domain::Signet;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use cache::{FeedCache, FeedCacheSettings};
pub use extract::FleetBucket;

/// What the feed's handler shares.
#[derive(Clone)]
pub struct FleetState {
    /// The use cases.
    pub core: Signet,
    /// Rendered feeds by token.
    pub cache: Arc<FeedCache>,
}

/// The feed's route and its OpenAPI document.
pub fn router(state: FleetState) -> (axum::Router, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(feed::keys))
        .split_for_parts();
    openapi::complete(&mut doc);
    (routes.with_state(state), doc)
}
