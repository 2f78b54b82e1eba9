//! A fresh PostgreSQL database per test, on the server named by
//! `SIGNET_TEST_POSTGRES_URL`, dropped (`WITH (FORCE)`) afterwards. Under
//! `CI=true` a missing or unreachable server is a failure, never a skip.

use std::net::SocketAddr;

use sea_orm::{ConnectionTrait as _, Database};

use crate::{on_ci, skip};

/// The variable naming the PostgreSQL server tests create databases on.
pub const POSTGRES_URL_VAR: &str = "SIGNET_TEST_POSTGRES_URL";

/// The PostgreSQL server for tests, if configured; panics under CI when it
/// is not.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if on_ci() => {
            panic!("CI=true but {POSTGRES_URL_VAR} is not set: the PostgreSQL tests must run")
        }
        _ => None,
    }
}

/// A database of one test's own, dropped with its connections when this is.
#[derive(Debug)]
pub struct FreshPostgres {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshPostgres {
    /// Creates a database on the configured server; `None` (the test skips)
    /// when none is configured outside CI. Panics if the server is
    /// unreachable.
    pub async fn create() -> Option<Self> {
        let Some(admin_url) = postgres_url() else {
            skip(&format!("{POSTGRES_URL_VAR} is not set"));
            return None;
        };
        let name = format!("signet_t_{:016x}", rand::random::<u64>());
        let admin = Database::connect(admin_url.as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {POSTGRES_URL_VAR}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("the test database is created");
        let _ = admin.close().await;
        Some(Self {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        })
    }

    /// The URL of the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's address, to put a proxy in front of it.
    pub async fn server_addr(&self) -> SocketAddr {
        let (host, port) = split_authority(&self.url).1;
        tokio::net::lookup_host((host, port))
            .await
            .ok()
            .and_then(|mut found| found.next())
            .unwrap_or_else(|| panic!("cannot resolve the PostgreSQL host {host}"))
    }

    /// The database's URL with `addr` (a proxy) in place of the server.
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let (before, _, after) = split_authority(&self.url);
        format!("{before}{addr}{after}")
    }

    /// Drops the database now, under whatever still uses it, as an outage
    /// would. Failures are reported, not fatal: the server may be gone.
    pub async fn drop_database(&self) {
        if let Ok(admin) = Database::connect(self.admin_url.as_str()).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            if let Err(e) = admin.execute_unprepared(&sql).await {
                eprintln!("could not drop test database {}: {e}", self.name);
            }
            let _ = admin.close().await;
        }
    }
}

impl Drop for FreshPostgres {
    /// Drops the database on a thread of its own, since `drop` cannot await.
    fn drop(&mut self) {
        std::thread::scope(|scope| {
            scope.spawn(|| {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    runtime.block_on(self.drop_database());
                }
            });
        });
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

/// A URL as (what precedes the host, (host, port), what follows the port).
fn split_authority(url: &str) -> (&str, (&str, u16), &str) {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[authority_start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| authority_start + i);
    let host_start = url[authority_start..authority_end]
        .rfind('@')
        .map_or(authority_start, |i| authority_start + i + 1);
    let server = &url[host_start..authority_end];
    let (host, port) = match server.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().expect("a port")),
        _ => (server, 5432),
    };
    (
        &url[..host_start],
        (host.trim_start_matches('[').trim_end_matches(']'), port),
        &url[authority_end..],
    )
}

#[cfg(test)]
mod tests {
    use super::{split_authority, with_database};

    #[test]
    fn the_server_is_found_between_the_user_and_the_database() {
        assert_eq!(
            split_authority("postgres://u:p@db.example:6432/x?sslmode=disable"),
            (
                "postgres://u:p@",
                ("db.example", 6432),
                "/x?sslmode=disable"
            )
        );
        assert_eq!(
            split_authority("postgres://127.0.0.1/x"),
            ("postgres://", ("127.0.0.1", 5432), "/x")
        );
    }

    #[test]
    fn the_database_replaces_the_path_and_the_query_stays() {
        let cases = [
            ("postgres://u@h:5432/test", "postgres://u@h:5432/db"),
            ("postgres://u@h:5432", "postgres://u@h:5432/db"),
            (
                "postgres://u@h/test?sslmode=disable",
                "postgres://u@h/db?sslmode=disable",
            ),
        ];
        for (server, expected) in cases {
            assert_eq!(with_database(server, "db"), expected, "{server}");
        }
    }
}
