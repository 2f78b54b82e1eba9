//! `signet-agent`: the signer-side program. Logs go to stderr; `RUST_LOG`
//! filters them (default `info`).

use std::process::ExitCode;

use clap::Parser as _;
use signet_agent::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let Cli { command } = Cli::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match command {
        Command::Sync(args) => signet_agent::run(args.into_options()).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("signet-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}
