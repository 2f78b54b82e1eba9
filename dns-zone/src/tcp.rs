//! The TCP loop: messages framed by a two-byte length (RFC 1035 4.2.2,
//! RFC 7766), several queries per connection, answered in order. A
//! connection idle too long, or whose frame stops short, is closed; past
//! the cap, new connections are closed at once.

use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::handle::{handle, Reply, Transport};
use crate::Shared;

/// Accepts connections on `listener` for ever. The connections are tasks
/// of a set this loop owns, so they end when it is dropped (the server
/// stopping).
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.config.max_tcp_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!(error = %e, "TCP accept failed");
                // Out of descriptors, most likely: let some close.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics::counter!("signet_dns_tcp_refused_total").increment(1);
            tracing::debug!(%peer, "DNS TCP connection over the cap closed");
            continue;
        };
        let shared = shared.clone();
        connections.spawn(async move {
            if let Err(e) = connection(stream, &shared).await {
                tracing::debug!(error = %e, %peer, "DNS TCP connection ended");
            }
            drop(permit);
        });
    }
}

/// Serves one connection until the client closes it, idles, or breaks a
/// frame.
async fn connection(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let idle = shared.config.tcp_idle_timeout;
    let mut buf = Vec::new();
    loop {
        let mut len = [0u8; 2];
        match timeout(idle, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            // Closed, broken or idle: done.
            Ok(Err(_)) | Err(_) => return Ok(()),
        }
        let len = usize::from(u16::from_be_bytes(len));
        buf.resize(len, 0);
        // The rest of a frame must come within the idle time too.
        timeout(idle, stream.read_exact(&mut buf))
            .await
            .map_err(|_| std::io::ErrorKind::TimedOut)??;
        match handle(shared, &buf, Transport::Tcp) {
            Reply::Nothing => {}
            Reply::One(bytes) => write(&mut stream, &bytes).await?,
            Reply::Transfer(messages) => {
                for bytes in messages {
                    write(&mut stream, &bytes).await?;
                }
            }
        }
    }
}

/// Writes one framed message.
async fn write(stream: &mut TcpStream, message: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(message.len()).map_err(|_| std::io::ErrorKind::InvalidData)?;
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(message);
    stream.write_all(&framed).await
}
