//! One signed WebSocket as a byte stream (binary frames carry the app's TCP bytes), so that an
//! HTTP client can speak to the app through it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::relay::Ws;
use crate::stats::Counters;

/// How the server side of the stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Open,
    /// A close frame with this code (1013: the app is not listening yet).
    Closed(Option<CloseCode>),
}

pub struct WsIo {
    ws: Ws,
    pending: Bytes,
    ended: Ended,
    close_sent: bool,
    chunk: usize,
    ping: Interval,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for WsIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsIo")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

fn to_io(e: tungstenite::Error) -> io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        tungstenite::Error::Capacity(c) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the server sent more than this tunnel accepts in one message ({c})"),
        ),
        other => io::Error::other(other),
    }
}

impl WsIo {
    pub fn new(ws: Ws, chunk: usize, ping_every: Duration, counters: Arc<Counters>) -> Self {
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        WsIo {
            ws,
            pending: Bytes::new(),
            ended: Ended::Open,
            close_sent: false,
            chunk,
            ping,
            counters,
        }
    }

    /// Keep idle streams alive through proxies; a ping that cannot go now waits for the next.
    fn poll_ping(&mut self, cx: &mut Context<'_>) {
        if self.close_sent || self.ping.poll_tick(cx).is_pending() {
            return;
        }
        let ws = Pin::new(&mut self.ws);
        if let Poll::Ready(Ok(())) = Sink::<Message>::poll_ready(ws, cx)
            && Pin::new(&mut self.ws)
                .start_send(Message::Ping(Bytes::new()))
                .is_ok()
        {
            let _ = Sink::<Message>::poll_flush(Pin::new(&mut self.ws), cx);
        }
    }
}

impl AsyncRead for WsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(buf.remaining());
                buf.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.ended != Ended::Open {
                return Poll::Ready(Ok(()));
            }
            this.poll_ping(cx);
            match ready!(Pin::new(&mut this.ws).poll_next(cx)) {
                Some(Ok(Message::Binary(b))) => {
                    this.counters.add_down(b.len());
                    this.pending = b;
                }
                Some(Ok(Message::Close(frame))) => {
                    this.ended = Ended::Closed(frame.map(|f| f.code));
                }
                // Text frames carry nothing in this protocol; pings are answered by the library.
                Some(Ok(_)) => {}
                Some(Err(e)) => return Poll::Ready(Err(to_io(e))),
                None => this.ended = Ended::Closed(None),
            }
        }
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(Sink::<Message>::poll_ready(Pin::new(&mut this.ws), cx)).map_err(to_io)?;
        let n = buf.len().min(this.chunk);
        Pin::new(&mut this.ws)
            .start_send(Message::Binary(Bytes::copy_from_slice(&buf[..n])))
            .map_err(to_io)?;
        this.counters.add_up(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Message>::poll_flush(Pin::new(&mut self.ws), cx).map_err(to_io)
    }

    /// The stream protocol has no half-close: shutting down ends the stream with a close frame.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.close_sent {
            match ready!(Sink::<Message>::poll_ready(Pin::new(&mut this.ws), cx)) {
                Ok(()) => {
                    let close = Message::Close(Some(CloseFrame {
                        code: CloseCode::Normal,
                        reason: "".into(),
                    }));
                    // Already closed by the server: nothing to say.
                    let _ = Pin::new(&mut this.ws).start_send(close);
                }
                Err(_) => return Poll::Ready(Ok(())),
            }
            this.close_sent = true;
        }
        match ready!(Sink::<Message>::poll_flush(Pin::new(&mut this.ws), cx)) {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Poll::Ready(Ok(()))
            }
            Err(e) => Poll::Ready(Err(to_io(e))),
        }
    }
}
