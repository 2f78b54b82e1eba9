//! The one stop signal of both programs: the server's serve loop and the
//! agent's sync loop end on it. It lives here, in a crate without a web
//! framework, so the agent can use it and the server can too.

use std::future::Future;

/// Completes on SIGTERM or SIGINT (Ctrl-C). The handlers are installed when
/// this is called, before a program says it is running, so a signal sent
/// as soon as it is up stops it cleanly instead of killing it.
pub fn stop() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
}
