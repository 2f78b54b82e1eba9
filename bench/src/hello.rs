//! The baseline: the smallest axum server, on the same runtime as `signet`
//! (`#[tokio::main]`: multi-threaded, one worker per core), no middleware.

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;

/// Serves `Hello, World!` at `/` until killed.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
