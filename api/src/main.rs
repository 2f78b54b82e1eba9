//! `signet`: serve the API, or administer tenants and API keys.

use std::process::ExitCode;

use clap::Parser as _;
use signet_api::cli::Cli;
use signet_api::{commands, telemetry};

/// mimalloc rather than glibc's malloc: under load, allocations freed on
/// another thread (the database worker's rows, the runtime's tasks) made
/// malloc and free about a third of the server's samples.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = cli.config.into_settings();
    if let Err(e) = telemetry::init(settings.log_format) {
        eprintln!("signet: {e:#}");
        return ExitCode::FAILURE;
    }
    match commands::run(cli.command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        // Once, on stderr, with its causes; not also as a log line.
        Err(e) => {
            eprintln!("signet: {e:#}");
            ExitCode::FAILURE
        }
    }
}
