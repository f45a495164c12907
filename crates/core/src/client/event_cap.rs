//! A size cap on the session event stream.
//!
//! The SSE parser keeps a line until it ends and an event's data until the blank line that ends
//! the event. A server or proxy that never ends one (by fault or on purpose) would make it
//! buffer without bound. This stream sits in front of the parser, counts the bytes of the event
//! being received, and stops with [`Capped::TooLarge`] once they pass the cap, so memory stays
//! near the cap plus one network read.

use std::fmt;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, future};

/// The most one event (its lines up to the blank line) may hold. Session events are a few
/// hundred bytes; a megabyte leaves room for any reason text a server may send.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// A transport error, or the cap was reached.
#[derive(Debug)]
pub enum Capped<E> {
    Transport(E),
    TooLarge(usize),
}

impl<E: fmt::Display> fmt::Display for Capped<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capped::Transport(e) => e.fmt(f),
            Capped::TooLarge(limit) => write!(f, "an event is larger than {limit} bytes"),
        }
    }
}

/// `bytes`, ended with one [`Capped::TooLarge`] item when an event grows past `limit`.
pub fn cap_event_size<S, E>(bytes: S, limit: usize) -> impl Stream<Item = Result<Bytes, Capped<E>>>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    bytes.scan(EventSize::new(limit), move |size, item| {
        let next = match item {
            _ if size.exceeded => None,
            Ok(chunk) if size.feed(&chunk) => Some(Ok(chunk)),
            Ok(_) => Some(Err(Capped::TooLarge(limit))),
            Err(e) => Some(Err(Capped::Transport(e))),
        };
        future::ready(next)
    })
}

/// Tracks the event being received, following the SSE framing: lines end in `\n`, `\r\n` or
/// `\r`; a blank line ends the event; a line starting with `:` is a comment, which the parser
/// drops once it ends.
#[derive(Debug)]
struct EventSize {
    limit: usize,
    /// Bytes of the complete, non-comment lines of the current event.
    event: usize,
    /// Bytes of the line being received.
    line: usize,
    line_is_comment: bool,
    /// The last byte was `\r`, so a `\n` now completes the same line ending.
    after_cr: bool,
    exceeded: bool,
}

impl EventSize {
    fn new(limit: usize) -> Self {
        EventSize {
            limit,
            event: 0,
            line: 0,
            line_is_comment: false,
            after_cr: false,
            exceeded: false,
        }
    }

    /// Count `chunk`; false once the current event passes the limit.
    fn feed(&mut self, chunk: &[u8]) -> bool {
        for &b in chunk {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    self.end_line();
                }
                _ => {
                    self.after_cr = false;
                    if self.line == 0 {
                        self.line_is_comment = b == b':';
                    }
                    self.line += 1;
                }
            }
            if self.event + self.line > self.limit {
                self.exceeded = true;
                return false;
            }
        }
        true
    }

    fn end_line(&mut self) {
        if self.line == 0 {
            // A blank line: the event is dispatched and its buffer freed.
            self.event = 0;
        } else if !self.line_is_comment {
            self.event += self.line + 1;
        }
        self.line = 0;
        self.line_is_comment = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(limit: usize, parts: &[&str]) -> bool {
        let mut s = EventSize::new(limit);
        parts.iter().all(|p| s.feed(p.as_bytes()))
    }

    #[test]
    fn many_small_events_fit_however_they_are_split() {
        let one = "event: session_started\r\ndata: {\"sessionName\": \"nb\"}\r\n\r\n";
        let text = one.repeat(1000);
        assert!(fits(one.len(), &[&text]));
        for cut in 1..one.len() * 2 {
            let (a, b) = text.split_at(cut);
            assert!(fits(one.len(), &[a, b]), "cut at {cut}");
        }
        // Comments between events do not add up.
        let pings = ":ping\n".repeat(10_000);
        assert!(fits(64, &[&pings, "data: {}\n\n"]));
    }

    #[test]
    fn one_long_line_or_event_is_stopped() {
        assert!(!fits(1000, &[&"a".repeat(1001)]));
        assert!(!fits(1000, &[&":".repeat(1001)]), "even a comment line");
        let many_lines = "data: xxxxxxxxxx\n".repeat(100);
        assert!(!fits(1000, &[&many_lines]), "an event of many lines");
        let with_blanks = "data: xxxxxxxxxx\n\n".repeat(100);
        assert!(fits(1000, &[&with_blanks]), "many events, each small");
        // `\r` alone ends lines too, and `\r\r` is a blank line.
        assert!(fits(100, &[&"data: x\r\r".repeat(100)]));
    }

    #[tokio::test]
    async fn the_stream_ends_after_the_error() {
        let endless = futures_util::stream::repeat_with(|| {
            Ok::<_, std::convert::Infallible>(Bytes::from(vec![b'a'; 4096]))
        });
        let items: Vec<_> = cap_event_size(endless, 10_000).collect().await;
        assert_eq!(items.len(), 3, "two chunks fit, the third passes the cap");
        assert!(matches!(items[2], Err(Capped::TooLarge(10_000))));
    }
}
