//! Deadlines on a connection's reads while it is between requests.
//!
//! hyper's own header-read timer also runs while a keep-alive connection
//! idles, so it cannot give a slow request head and an idle connection their
//! own limits. Here the socket itself fails a read that waits past its phase's
//! deadline, and hyper closes the connection:
//! - a new connection must complete its first request head within the
//!   header-read timeout of its start;
//! - after an answer, the connection may idle for the idle timeout;
//! - once a request's first byte arrives, its head must be complete within
//!   the header-read timeout of that byte.
//!
//! While a request is being served nothing here applies: the request timeout
//! bounds it, and the body-read timeout each wait for its body.
//!
//! [`Activity`] also tells the shedding which connections have not finished a
//! request head or body.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

/// How long a connection may wait for a request head, and idle between requests.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From a new connection, or a request's first byte, to its complete head.
    pub header_read: Duration,
    /// From an answer to the next request's first byte.
    pub idle: Duration,
}

/// Requests in flight on one connection, as its service sees them.
#[derive(Debug)]
pub struct Activity {
    in_flight: AtomicUsize,
    answered: AtomicU64,
    /// The connection's reader, woken when an answer is done: hyper may
    /// have started a read while the request ran and not poll again.
    reader: AtomicWaker,
    /// A request head is due: from the connection's start, or a request's
    /// first byte after an answer, until that request reaches the service.
    head_due: AtomicBool,
    /// The body of the request in flight has been read to its end.
    body_read: AtomicBool,
    /// Told when the connection is shed, to close it.
    shed: Notify,
}

/// What a connection that has not finished a request is still sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfinished {
    /// Its request head.
    Head,
    /// The body of a request whose head arrived.
    Body,
}

impl Unfinished {
    /// The metric's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Head => "header",
            Self::Body => "body",
        }
    }
}

impl Default for Activity {
    /// A new connection's: its first request head is due.
    fn default() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            answered: AtomicU64::new(0),
            reader: AtomicWaker::new(),
            head_due: AtomicBool::new(true),
            body_read: AtomicBool::new(true),
            shed: Notify::new(),
        }
    }
}

impl Activity {
    /// Marks a request in flight until the returned guard drops; its body
    /// counts as unread until [`Activity::body_read`] unless it has none.
    pub fn begin(self: &Arc<Self>, without_body: bool) -> Busy {
        self.body_read.store(without_body, Ordering::SeqCst);
        self.head_due.store(false, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// The request in flight has sent its whole body.
    pub fn body_read(&self) {
        self.body_read.store(true, Ordering::SeqCst);
    }

    /// What the connection is still sending of a request, if anything: not
    /// while it idles after an answer, nor while its request is served.
    pub fn unfinished(&self) -> Option<Unfinished> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            (!self.body_read.load(Ordering::SeqCst)).then_some(Unfinished::Body)
        } else {
            self.head_due
                .load(Ordering::SeqCst)
                .then_some(Unfinished::Head)
        }
    }

    /// Asks the connection to close at once.
    pub fn shed(&self) {
        self.shed.notify_one();
    }

    /// Completes once the connection is shed.
    pub async fn shed_requested(&self) {
        self.shed.notified().await;
    }
}

/// A request in flight; dropping it (answered or cancelled) restarts the
/// connection's idle clock.
#[derive(Debug)]
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        // Counted before `in_flight` falls, so a reader that sees no request
        // in flight also sees this answer.
        self.0.answered.fetch_add(1, Ordering::SeqCst);
        self.0.head_due.store(false, Ordering::SeqCst);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.reader.wake();
    }
}

/// Which limit closed a connection, as the metric labels it.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Header,
    Idle,
}

impl Phase {
    fn label(self) -> &'static str {
        match self {
            Self::Header => "header_read",
            Self::Idle => "idle",
        }
    }
}

/// A TCP stream whose reads fail once the connection has waited too long
/// between requests.
#[derive(Debug)]
pub struct Deadlined {
    stream: TcpStream,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    /// Answers seen so far: a change restarts the clock.
    answered: u64,
    /// Since when the connection has waited for a request.
    waiting_since: Instant,
    /// Since when a request head is due: the connection's start, or the
    /// first byte after an answer.
    head_since: Option<Instant>,
    timer: Pin<Box<Sleep>>,
}

impl Deadlined {
    /// Starts the clock: the first request head is due within the header-read timeout.
    pub fn new(stream: TcpStream, activity: Arc<Activity>, timeouts: Timeouts) -> Self {
        let now = Instant::now();
        Self {
            stream,
            activity,
            timeouts,
            answered: 0,
            waiting_since: now,
            // A new connection is there to send a request: its head is due now.
            head_since: Some(now),
            timer: Box::pin(tokio::time::sleep_until(now + timeouts.header_read)),
        }
    }

    fn deadline(&self) -> (Instant, Phase) {
        match self.head_since {
            Some(head_since) => (head_since + self.timeouts.header_read, Phase::Header),
            None => (self.waiting_since + self.timeouts.idle, Phase::Idle),
        }
    }
}

impl AsyncRead for Deadlined {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if read.is_pending() {
            // Registered before looking, so an answer finished after the
            // look wakes this reader and the idle clock starts.
            this.activity.reader.register(cx.waker());
        }
        let busy = this.activity.in_flight.load(Ordering::SeqCst) > 0;
        let answered = this.activity.answered.load(Ordering::SeqCst);
        if answered != this.answered {
            this.answered = answered;
            this.waiting_since = Instant::now();
            this.head_since = None;
        }
        match read {
            Poll::Ready(Ok(())) => {
                if !busy && this.head_since.is_none() && buf.filled().len() > before {
                    this.head_since = Some(Instant::now());
                    this.activity.head_due.store(true, Ordering::SeqCst);
                }
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending if busy => return Poll::Pending,
            Poll::Pending => {}
        }
        let (deadline, phase) = this.deadline();
        if this.timer.deadline() != deadline {
            this.timer.as_mut().reset(deadline);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                metrics::counter!("signet_connections_timed_out_total", "phase" => phase.label())
                    .increment(1);
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} timeout", phase.label()),
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Deadlined {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
