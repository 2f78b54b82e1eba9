//! A loopback JWKS endpoint, standing in for an identity provider: its key
//! set can be swapped while it runs, and it counts the fetches it answers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

#[derive(Default)]
struct Shared {
    keys: Mutex<Value>,
    fetches: AtomicUsize,
}

/// A running JWKS server; it stops when the test's runtime ends.
#[derive(Clone)]
pub struct JwksServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl JwksServer {
    /// Serves `jwks` (a `{"keys": [...]}` document) at `/jwks.json`.
    pub async fn start(jwks: Value) -> Self {
        let shared = Arc::new(Shared {
            keys: Mutex::new(jwks),
            fetches: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/jwks.json", get(serve))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    /// The URL of its key set.
    pub fn url(&self) -> String {
        format!("http://{}/jwks.json", self.addr)
    }

    /// Serves `jwks` from now on.
    pub fn set(&self, jwks: Value) {
        *self.shared.keys.lock().expect("not poisoned") = jwks;
    }

    /// How many times the key set was fetched.
    pub fn fetches(&self) -> usize {
        self.shared.fetches.load(Ordering::SeqCst)
    }
}

async fn serve(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.fetches.fetch_add(1, Ordering::SeqCst);
    Json(shared.keys.lock().expect("not poisoned").clone())
}
