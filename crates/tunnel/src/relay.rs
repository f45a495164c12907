//! The WebSocket side: open the signed upgrade, pump bytes both ways with backpressure, and
//! probe the app once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bai_core::client::{Client, ProxyKind};
use bai_core::launch::ProbeOutcome;
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::config::TunnelConfig;
use crate::pages;
use crate::stats::Counters;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why the WebSocket did not open.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Signing or building the request failed (credentials, version negotiation).
    #[error("{0}")]
    Request(#[from] bai_core::Error),
    #[error("the server answered the upgrade with HTTP {status}")]
    Status { status: u16 },
    #[error("the WebSocket did not open within {}s", .0.as_secs())]
    Timeout(Duration),
    #[error("WebSocket error: {0}")]
    Ws(String),
}

impl ConnectError {
    /// Worth retrying soon: the app or the server is still starting.
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectError::Status { status } => *status >= 500,
            ConnectError::Request(e) => e.is_transient(),
            ConnectError::Timeout(_) | ConnectError::Ws(_) => true,
        }
    }
}

/// Open one signed WebSocket to the app (a fresh signature each time).
pub async fn connect(
    client: &Client,
    session: &str,
    app: &str,
    timeout: Duration,
) -> Result<Ws, ConnectError> {
    let req = client
        .tunnel_request(session, app, None, ProxyKind::Tcp)
        .await?;
    let mut http = req
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnectError::Ws(e.to_string()))?;
    http.headers_mut().extend(req.headers);
    // A larger read buffer takes whole 64 KiB frames (the manager's read size) in one go.
    let config = WebSocketConfig::default().read_buffer_size(256 * 1024);
    let open = tokio_tungstenite::connect_async_with_config(http, Some(config), true);
    match tokio::time::timeout(timeout, open).await {
        Err(_) => Err(ConnectError::Timeout(timeout)),
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(resp))) => Err(ConnectError::Status {
            status: resp.status().as_u16(),
        }),
        Ok(Err(e)) => Err(ConnectError::Ws(e.to_string())),
    }
}

/// Frames read ahead of the local socket (each at most one manager read, 64 KiB typically).
const DOWN_QUEUE_FRAMES: usize = 4;

/// Aborts the task when dropped (a relay cancelled from outside must not leave its reader).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How the app side ended.
#[derive(Debug, PartialEq, Eq)]
enum DownEnd {
    /// A close frame (with its code), or the end of the stream after one.
    Closed(Option<CloseCode>),
    /// Dropped without a close frame, or a protocol error.
    Broken,
    /// The local client stopped taking bytes.
    LocalGone,
}

/// Relay one admitted connection: `first` (already read from the client) goes out first.
/// Both directions await the other side's readiness (TCP writes, WebSocket flushes), so
/// nothing buffers without bound. `was_up`: whether the app has answered through this tunnel
/// (it picks the wording of the retry page); set as soon as the app's first byte arrives here.
pub async fn pump(
    mut sock: TcpStream,
    ws: Ws,
    first: Vec<u8>,
    app: &str,
    was_up: &AtomicBool,
    config: &TunnelConfig,
    counters: &Counters,
) {
    let app_was_up = was_up.load(Relaxed);
    let (mut sink, mut stream) = ws.split();
    let epoch = Instant::now();
    let last_down = AtomicU64::new(0);
    let wrote_any = AtomicU64::new(0);
    // Set once we close the WebSocket ourselves: a peer that then drops the socket without
    // its close reply has done nothing wrong.
    let we_closed = AtomicBool::new(false);
    let (mut rd, mut wr) = sock.split();

    let up = async {
        if !first.is_empty() {
            let n = first.len();
            sink.send(Message::Binary(Bytes::from(first))).await?;
            counters.add_up(n);
        }
        let mut ping = tokio::time::interval(config.ping_interval);
        ping.tick().await;
        let mut buf = BytesMut::new();
        let mut eof = false;
        loop {
            if eof {
                // Half-closed: the app may still be answering. Close once it has been quiet.
                let quiet = Duration::from_millis(last_down.load(Relaxed));
                let idle = epoch.elapsed().saturating_sub(quiet);
                if idle >= config.half_close_grace {
                    we_closed.store(true, Relaxed);
                    sink.send(Message::Close(Some(CloseFrame {
                        code: CloseCode::Normal,
                        reason: "".into(),
                    })))
                    .await?;
                    return Ok::<(), tungstenite::Error>(());
                }
                tokio::select! {
                    _ = tokio::time::sleep(config.half_close_grace - idle) => {}
                    _ = ping.tick() => sink.send(Message::Ping(Bytes::new())).await?,
                }
                continue;
            }
            buf.reserve(config.chunk_bytes);
            tokio::select! {
                r = rd.read_buf(&mut buf) => match r {
                    Ok(0) => eof = true,
                    Ok(n) => {
                        sink.send(Message::Binary(buf.split().freeze())).await?;
                        counters.add_up(n);
                    }
                    Err(e) => return Err(tungstenite::Error::Io(e)),
                },
                _ = ping.tick() => sink.send(Message::Ping(Bytes::new())).await?,
            }
        }
    };

    // The WebSocket is read in its own task so that parsing frames and writing the local
    // socket run in parallel; the channel holds a few frames at most (backpressure stays).
    let (frames_tx, mut frames) = mpsc::channel::<Result<Bytes, DownEnd>>(DOWN_QUEUE_FRAMES);
    let _reader = AbortOnDrop(tokio::spawn(async move {
        loop {
            let item = match stream.next().await {
                Some(Ok(Message::Binary(b))) => Ok(b),
                Some(Ok(Message::Close(frame))) => Err(DownEnd::Closed(frame.map(|f| f.code))),
                // Text frames carry nothing in this protocol; pings are answered by the library.
                Some(Ok(_)) => continue,
                Some(Err(_)) => Err(DownEnd::Broken),
                None => Err(DownEnd::Closed(None)),
            };
            let last = item.is_err();
            if frames_tx.send(item).await.is_err() || last {
                return;
            }
        }
    }));
    let down = async {
        loop {
            match frames.recv().await {
                Some(Ok(b)) => {
                    if wr.write_all(&b).await.is_err() {
                        return DownEnd::LocalGone;
                    }
                    counters.add_down(b.len());
                    // The shared flag is written once per connection, not on every frame.
                    if wrote_any.swap(1, Relaxed) == 0 {
                        was_up.store(true, Relaxed);
                    }
                    last_down.store(epoch.elapsed().as_millis() as u64, Relaxed);
                }
                Some(Err(end)) => return end,
                None => return DownEnd::Broken,
            }
        }
    };

    let mut up = Box::pin(up);
    let mut down = Box::pin(down);
    let end = tokio::select! {
        end = &mut down => end,
        r = &mut up => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "tunnel upstream ended");
            }
            // Give the app side a moment to deliver what is in flight and the close reply.
            tokio::time::timeout(Duration::from_secs(5), &mut down)
                .await
                .unwrap_or(DownEnd::Broken)
        }
    };
    drop(up);
    drop(down);
    let nothing_sent = wrote_any.load(Relaxed) == 0;
    let end = match end {
        DownEnd::Broken if we_closed.load(Relaxed) => DownEnd::Closed(None),
        other => other,
    };
    match end {
        DownEnd::Closed(Some(CloseCode::Again)) | DownEnd::Broken if nothing_sent => {
            counters.error();
            let _ = wr.write_all(&pages::unavailable(app, app_was_up)).await;
            let _ = wr.shutdown().await;
        }
        DownEnd::Closed(_) => {
            let _ = wr.shutdown().await;
        }
        DownEnd::Broken | DownEnd::LocalGone => {
            counters.error();
            // A reset, not a FIN: a close-delimited response must not look complete.
            let _ = sock.set_zero_linger();
        }
    }
}

/// One readiness check: a `GET start_path` through a fresh WebSocket; any HTTP answer below
/// 500 means the app is up.
pub async fn probe(
    client: &Client,
    session: &str,
    app: &str,
    start_path: &str,
    timeout: Duration,
) -> ProbeOutcome {
    let mut ws = match connect(client, session, app, timeout).await {
        Ok(ws) => ws,
        Err(e) if e.is_transient() => return ProbeOutcome::NotYet(e.to_string()),
        Err(e) => return ProbeOutcome::Failed(e.to_string()),
    };
    let request = format!(
        "GET {start_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bai-launcher-probe\r\nConnection: close\r\n\r\n"
    );
    if let Err(e) = ws.send(Message::Binary(Bytes::from(request))).await {
        return ProbeOutcome::NotYet(format!("the tunnel closed: {e}"));
    }
    let mut head = Vec::new();
    let outcome = loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => {
                head.extend_from_slice(&b);
                let mut headers = [httparse::EMPTY_HEADER; 64];
                let mut resp = httparse::Response::new(&mut headers);
                match resp.parse(&head) {
                    Ok(httparse::Status::Complete(_)) => {
                        let code = resp.code.unwrap_or(0);
                        break if code < 500 {
                            ProbeOutcome::Ready
                        } else {
                            ProbeOutcome::NotYet(format!("the app answered HTTP {code}"))
                        };
                    }
                    Ok(httparse::Status::Partial) if head.len() < 64 * 1024 => {}
                    _ => break ProbeOutcome::Ready,
                }
            }
            Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Again => {
                break ProbeOutcome::NotYet("the app is not listening yet (close 1013)".into());
            }
            Some(Ok(Message::Close(_))) | None => {
                break ProbeOutcome::NotYet("the tunnel closed before the app answered".into());
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => break ProbeOutcome::NotYet(format!("the tunnel failed: {e}")),
        }
    };
    let _ = ws.close(None).await;
    outcome
}
