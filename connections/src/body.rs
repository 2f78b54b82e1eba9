//! A request body that tells its connection when it has been read to its end.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};

use super::deadline::Activity;

/// `Incoming`, marking the request's body read on its last frame.
#[derive(Debug)]
pub struct Tracked {
    inner: Incoming,
    activity: Arc<Activity>,
}

impl Tracked {
    /// Tracks `inner`, the body of the request `activity` has in flight.
    pub fn new(inner: Incoming, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let frame = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.activity.body_read();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
