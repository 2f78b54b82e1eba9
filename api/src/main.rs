//! `signet`: serve the API, or administer tenants and API keys.

use std::process::ExitCode;

use signet_api::settings::{self, cli};
use signet_api::{commands, telemetry, LogFormat};

/// With the `mimalloc` feature, mimalloc rather than glibc's malloc. It was
/// the default until an A/B (README, Performance): glibc's held 20 MiB less
/// at 100 tenants x 1,000 keys; reads differed by less than run-to-run noise,
/// except deep pages, where mimalloc was ahead in the one run.
#[cfg(feature = "mimalloc")]
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
