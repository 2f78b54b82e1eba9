//! `signet`: serve the API, or administer tenants and API keys.

use std::process::ExitCode;

use signet_api::settings::{self, cli};
use signet_api::{commands, telemetry, LogFormat};

/// mimalloc rather than glibc's malloc: under load, allocations freed on
/// another thread (the database worker's rows, the runtime's tasks) made
/// malloc and free about a third of the server's samples. The
/// `system-allocator` feature leaves it out, trading read throughput at scale
/// for about 20 MiB less memory (README, Performance).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = match cli::parse(std::env::args_os(), |name| std::env::var(name).ok()) {
        Ok(parsed) => parsed,
        Err(e) => e.exit(),
    };
    let (format, outcome) = match settings::log_format(&parsed.sources) {
        Ok(format) => (format, run(parsed, format).await),
        Err(e) => (LogFormat::Text, Err(e)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // Once, on stderr, with its causes, in the log format.
        Err(e) => {
            telemetry::fatal(format, &e);
            ExitCode::FAILURE
        }
    }
}

async fn run(parsed: cli::Parsed, format: LogFormat) -> anyhow::Result<()> {
    telemetry::init(format)?;
    let settings = settings::load(parsed.sources)?;
    commands::run(parsed.command, settings).await
}
