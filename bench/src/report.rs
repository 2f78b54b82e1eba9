//! The table: one row per measured request, printed as Markdown.

use std::time::Duration;

/// One row of the table.
pub struct Row {
    /// What was requested.
    pub request: String,
    /// `SQLite`, `PostgreSQL`, or `-` for the baselines.
    pub backend: &'static str,
    /// Requests (or operations) per second.
    pub rps: Option<f64>,
    /// Median latency.
    pub p50: Option<Duration>,
    /// 99th percentile latency.
    pub p99: Option<Duration>,
    /// The ratio or figure the target is about.
    pub measure: String,
    /// The target, if the issue sets one.
    pub target: String,
    /// Whether the target is met.
    pub met: Option<bool>,
}

impl Row {
    /// A row with neither ratio nor target yet.
    pub fn new(request: impl Into<String>, backend: &'static str) -> Self {
        Self {
            request: request.into(),
            backend,
            rps: None,
            p50: None,
            p99: None,
            measure: String::new(),
            target: String::new(),
            met: None,
        }
    }
}

/// Prints the rows under a heading as a Markdown table.
pub fn print(title: &str, rows: &[Row]) {
    println!("\n### {title}\n");
    println!("| request | backend | req/s | p50 | p99 | measure | target | met? |");
    println!("|---|---|---:|---:|---:|---|---|---|");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.request,
            r.backend,
            r.rps.map_or(String::new(), rate),
            r.p50.map_or(String::new(), ms),
            r.p99.map_or(String::new(), ms),
            r.measure,
            r.target,
            met
        );
    }
}

/// `52373`, or `3.45` for a slow operation.
fn rate(v: f64) -> String {
    if v < 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

/// `0.41 ms`, `12.3 ms`, `262 ms`.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    match ms {
        m if m < 10.0 => format!("{m:.2} ms"),
        m if m < 100.0 => format!("{m:.1} ms"),
        m => format!("{m:.0} ms"),
    }
}
