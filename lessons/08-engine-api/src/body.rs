//! Response bodies for hyper: all at once, or streamed from a blocking `Read` as it produces
//! bytes — the bridge between our blocking handlers and hyper's async connection task.

use http_body_util::{BodyExt, combinators::BoxBody};
use hyper::body::{Bytes, Frame};
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A response body: all at once, or streamed as it is produced.
pub(crate) type Body = BoxBody<Bytes, io::Error>;

/// A body read from `reader` on a blocking thread, each read sent on as one chunk (chunked
/// transfer coding, RFC 9112 §7.1) as soon as it is read: hyper sends the status line and
/// headers at once, before the first chunk exists — what a client waiting for the headers
/// (the CLI's `wait` before its `start`) or for one log line (`logs -f`) needs.
pub(crate) fn streamed(mut reader: Box<dyn Read + Send>) -> Body {
    let (chunks, receiver) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 32 << 10];
        loop {
            let chunk = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => Ok(Bytes::copy_from_slice(&buf[..n])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            // An error means the client went away: stop reading.
            if chunks.blocking_send(chunk).is_err() {
                break;
            }
        }
    });
    ChannelBody(receiver).boxed()
}

/// A body whose chunks arrive on a channel; it ends when the sender is dropped.
struct ChannelBody(tokio::sync::mpsc::Receiver<io::Result<Bytes>>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }
}
