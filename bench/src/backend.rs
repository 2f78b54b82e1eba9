//! Fresh databases for a run: a SQLite file in a temporary directory, or a
//! database of its own on the PostgreSQL server, dropped at the end.

use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::{ConnectionTrait as _, Database as Connection};
use tempfile::TempDir;

use crate::BackendKind;

/// PostgreSQL databases this run created: `(server URL, name)`.
static CREATED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// A database Signet can be started on.
pub struct Database {
    /// Which backend.
    pub kind: BackendKind,
    /// Signet's `SIGNET_DATABASE_URL`.
    pub url: String,
    /// Holds the SQLite file until the database is dropped.
    _dir: Option<TempDir>,
}

impl Database {
    /// A fresh database of `kind`; `None`, with a note, when PostgreSQL is
    /// unreachable.
    pub async fn fresh(kind: BackendKind, postgres_url: &str) -> anyhow::Result<Option<Self>> {
        match kind {
            BackendKind::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                );
                Ok(Some(Self {
                    kind,
                    url,
                    _dir: Some(dir),
                }))
            }
            BackendKind::Postgres => Self::fresh_postgres(postgres_url).await,
        }
    }

    /// Brings a freshly seeded database to where a running server's would
    /// be: on PostgreSQL, a `VACUUM ANALYZE`, as autovacuum (on by default)
    /// does after bulk inserts. Without statistics the planner guesses a
    /// tenant of 100,000 keys holds about a thousand and sorts it on every
    /// offset page rather than walking the primary key, and without the
    /// visibility map an index-only walk still reads every row it skips.
    /// CI's server runs with autovacuum off, so the benchmark does it.
    pub async fn settle(&self) -> anyhow::Result<()> {
        if self.kind != BackendKind::Postgres {
            return Ok(());
        }
        let db = Connection::connect(self.url.as_str()).await?;
        db.execute_unprepared("VACUUM ANALYZE")
            .await
            .context("VACUUM ANALYZE")?;
        let _ = db.close().await;
        Ok(())
    }

    async fn fresh_postgres(server: &str) -> anyhow::Result<Option<Self>> {
        let connect = tokio::time::timeout(Duration::from_secs(5), Connection::connect(server));
        let admin = match connect.await {
            Ok(Ok(admin)) => admin,
            Ok(Err(e)) => return skip(&e.to_string()),
            Err(_) => return skip("no answer within 5 s"),
        };
        let name = {
            let mut created = CREATED.lock().expect("not poisoned");
            let name = format!("signet_bench_{}_{}", std::process::id(), created.len());
            created.push((server.to_owned(), name.clone()));
            name
        };
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let _ = admin.close().await;
        Ok(Some(Self {
            kind: BackendKind::Postgres,
            url: with_database(server, &name),
            _dir: None,
        }))
    }
}

fn skip(why: &str) -> anyhow::Result<Option<Database>> {
    println!("note: PostgreSQL skipped, its server is unreachable ({why}); set SIGNET_BENCH_POSTGRES_URL or --postgres-url");
    Ok(None)
}

/// Drops every PostgreSQL database this run created, under whatever still
/// uses them; failures are reported, not fatal.
pub async fn drop_leftovers() {
    let created = std::mem::take(&mut *CREATED.lock().expect("not poisoned"));
    for (server, name) in created {
        let Ok(admin) = Connection::connect(server.as_str()).await else {
            eprintln!("could not reach PostgreSQL to drop database {name}");
            continue;
        };
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        if let Err(e) = admin.execute_unprepared(&sql).await {
            eprintln!("could not drop database {name}: {e}");
        }
        let _ = admin.close().await;
    }
}

/// The server URL `url` naming `database` instead, its query kept.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}
