//! One local connection: a real HTTP/1.1 server (hyper) reads every request, admits it or
//! refuses it, and relays admitted ones over the connection's own WebSocket to the app with a
//! real HTTP client. Nothing is relayed as unparsed bytes until a WebSocket upgrade both sides
//! agreed to, so no request can slip past the check (keep-alive, pipelining, chunked bodies,
//! `Expect: 100-continue`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use http::header::{CONNECTION, COOKIE, EXPECT, HeaderValue, UPGRADE};
use http::{Request, Response, StatusCode};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::auth::without_launcher_cookies;
use crate::limits::PendingGuard;
use crate::pages;
use crate::peer;
use crate::policy::{self, Decision};
use crate::relay::{self, ConnectError};
use crate::shared::Shared;
use crate::stats::Counters;
use crate::wsio::WsIo;

type Body = Either<Counted, Full<Bytes>>;

/// The app's response body; a failure mid-body (the WebSocket dropped) counts as an error,
/// and hyper then aborts the local connection so a cut response never looks complete.
struct Counted {
    inner: Incoming,
    counters: Arc<Counters>,
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Err(_))) = &polled {
            self.counters.error();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Per-connection state.
struct Conn {
    shared: Arc<Shared>,
    /// The HTTP client on this connection's WebSocket, opened at the first admitted request.
    upstream: tokio::sync::Mutex<Option<SendRequest<Incoming>>>,
    /// Held until the connection shows the cookie (or a valid token).
    pending: Mutex<Option<PendingGuard>>,
    /// Both ends, to ask the OS who connected.
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    /// Whether the program on the other end runs as this user (asked once, at admission).
    same_user: OnceLock<bool>,
}

/// Serve one accepted connection until it closes, is refused, or is dropped to make room.
pub async fn connection(sock: TcpStream, shared: Arc<Shared>, pending: PendingGuard) {
    let _open = shared.counters.opened();
    let _ = sock.set_nodelay(true);
    let evicted = pending.evicted.clone();
    let (local, peer) = (sock.local_addr().ok(), sock.peer_addr().ok());
    let c = &shared.config;
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper's header timeout also runs while a kept-alive connection waits for its next
    // request, so it is the idle limit; admission has its own, shorter deadline below.
    http.timer(TokioTimer::new())
        .header_read_timeout(c.idle_timeout.max(c.head_timeout))
        .max_buf_size(c.max_head_bytes.max(8192))
        // A client may half-close and still wait for its answer.
        .half_close(true)
        .keep_alive(true);
    let conn = Arc::new(Conn {
        shared: shared.clone(),
        upstream: tokio::sync::Mutex::new(None),
        pending: Mutex::new(Some(pending)),
        local,
        peer,
        same_user: OnceLock::new(),
    });
    let unadmitted = not_admitted_within(conn.clone(), c.head_timeout);
    let service = hyper::service::service_fn(move |req| {
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(conn.handle(req).await) }
    });
    let serving = http
        .serve_connection(TokioIo::new(sock), service)
        .with_upgrades();
    tokio::select! {
        _ = evicted.cancelled() => {}
        _ = unadmitted => {}
        r = serving => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "local connection ended");
            }
        }
    }
}

/// Ends when `deadline` has passed and the connection has still not shown the cookie or a
/// token (slow or silent sockets); never ends for one admitted in time.
async fn not_admitted_within(conn: Arc<Conn>, deadline: std::time::Duration) {
    tokio::time::sleep(deadline).await;
    if conn
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_none()
    {
        std::future::pending::<()>().await;
    }
}

fn own(page: pages::Page) -> Response<Body> {
    page.response().map(Either::Right)
}

fn is_upgrade(req: &Request<Incoming>) -> bool {
    req.headers().contains_key(UPGRADE)
        && req.headers().get_all(CONNECTION).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
        })
}

/// About what the request head took on the wire.
fn head_size(req: &Request<Incoming>) -> usize {
    let headers: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    // Measured from the parts: no allocation on this per-request path.
    let uri = req.uri();
    let target = uri.path_and_query().map_or(1, |p| p.as_str().len())
        + uri
            .authority()
            .map_or(0, |a| a.as_str().len() + "http://".len());
    req.method().as_str().len() + target + 12 + headers
}

/// Our effective uid, to compare with the peer's.
fn my_uid() -> Option<u32> {
    #[cfg(unix)]
    return Some(rustix::process::geteuid().as_raw());
    #[cfg(not(unix))]
    None
}

impl Conn {
    /// True unless the OS says another user's program opened this connection.
    fn opened_by_this_user(&self) -> bool {
        *self.same_user.get_or_init(|| {
            if !self.shared.config.verify_peer_user {
                return true;
            }
            let (Some(local), Some(peer)) = (self.local, self.peer) else {
                return true;
            };
            match (peer::owner_uid(local, peer), my_uid()) {
                (Some(theirs), Some(mine)) => theirs == mine,
                // The OS cannot tell (not Linux): the cookie and Origin checks stand alone.
                _ => true,
            }
        })
    }

    fn authenticated(&self) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let s = &self.shared;
        if head_size(&req) > s.config.max_head_bytes {
            s.counters.rejected();
            return own(pages::head_too_large());
        }
        let decision = match policy::decide(req.method(), req.uri(), req.headers(), &s.access) {
            Decision::Forward | Decision::Auth(_) if !self.opened_by_this_user() => {
                Decision::Refuse(policy::OTHER_USER)
            }
            d => d,
        };
        match decision {
            Decision::Refuse(reason) => {
                s.counters.rejected();
                own(pages::forbidden(reason))
            }
            Decision::Auth(token) => {
                if s.access.redeem(token) {
                    self.authenticated();
                    pages::auth_landing(&s.config.start_path, s.access.set_cookie().expose())
                        .map(Either::Right)
                } else {
                    s.counters.rejected();
                    own(pages::forbidden(
                        "The link is not valid: each link works once, for a minute. Open the app from the launcher again.",
                    ))
                }
            }
            Decision::Forward => {
                self.authenticated();
                self.forward(req).await
            }
        }
    }

    async fn forward(&self, mut req: Request<Incoming>) -> Response<Body> {
        let s = &self.shared;
        let headers = req.headers_mut();
        let cookies: Vec<u8> = headers
            .get_all(COOKIE)
            .iter()
            .map(|v| v.as_bytes())
            .collect::<Vec<_>>()
            .join(&b"; "[..]);
        headers.remove(COOKIE);
        if let Some(v) =
            without_launcher_cookies(&cookies).and_then(|v| HeaderValue::from_bytes(&v).ok())
        {
            headers.insert(COOKIE, v);
        }
        // This side already answered `100 Continue`; the app gets the body straight away.
        headers.remove(EXPECT);
        let local_upgrade = is_upgrade(&req).then(|| hyper::upgrade::on(&mut req));

        let mut upstream = self.upstream.lock().await;
        let mut req = req;
        let mut fresh = false;
        let response = loop {
            let reusable = upstream.as_ref().is_some_and(|u| !u.is_closed());
            if !reusable {
                match self.open_upstream().await {
                    Ok(u) => *upstream = Some(u),
                    Err(page) => return own(page),
                }
                fresh = true;
            }
            let Some(sender) = upstream.as_mut() else {
                return own(pages::unavailable(&s.app, s.was_up.load(Relaxed)));
            };
            if sender.ready().await.is_err() {
                *upstream = None;
                if fresh {
                    return self.lost();
                }
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(r) => break r,
                Err(mut e) => {
                    *upstream = None;
                    match e.take_message() {
                        // The app had closed an idle connection: once more on a new one.
                        Some(back) if !fresh => req = back,
                        _ => {
                            tracing::debug!(error = %e.error(), "the app did not answer");
                            return self.lost();
                        }
                    }
                }
            }
        };
        if !s.was_up.load(Relaxed) {
            s.was_up.store(true, Relaxed);
        }
        let mut response = response;
        if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            *upstream = None;
            if let Some(local) = local_upgrade {
                let remote = hyper::upgrade::on(&mut response);
                tokio::spawn(relay_upgraded(local, remote, s.stop.clone()));
            }
        }
        let counters = s.counters.clone();
        response.map(|inner| Either::Left(Counted { inner, counters }))
    }

    /// Nothing came back: the app is starting, or the connection to it was lost.
    fn lost(&self) -> Response<Body> {
        let s = &self.shared;
        s.counters.error();
        own(pages::unavailable(&s.app, s.was_up.load(Relaxed)))
    }

    async fn open_upstream(&self) -> Result<SendRequest<Incoming>, pages::Page> {
        let s = &self.shared;
        let c = &s.config;
        let opened = match s.spares.take() {
            Some(ws) => Ok(ws),
            None => relay::connect(&s.client, &s.session, &s.app, c).await,
        };
        let ws = opened.map_err(|e| {
            s.counters.error();
            tracing::debug!(error = %e, "tunnel WebSocket did not open");
            match &e {
                ConnectError::Request(_) | ConnectError::Status { status: 400..500 } => {
                    pages::bad_gateway(&e.to_string())
                }
                _ => pages::unavailable(&s.app, s.was_up.load(Relaxed)),
            }
        })?;
        let io = WsIo::new(ws, c.chunk_bytes, c.ping_interval, s.counters.clone());
        let (sender, conn) = hyper::client::conn::http1::Builder::new()
            .handshake::<_, Incoming>(TokioIo::new(io))
            .await
            .map_err(|e| {
                s.counters.error();
                pages::bad_gateway(&e.to_string())
            })?;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(error = %e, "upstream connection ended");
            }
        });
        Ok(sender)
    }
}

/// After a `101` both sides agreed to, the bytes are the upgraded protocol's (a WebSocket):
/// relay them as they are, until either side ends or the tunnel is closed.
async fn relay_upgraded(
    local: hyper::upgrade::OnUpgrade,
    remote: hyper::upgrade::OnUpgrade,
    stop: CancellationToken,
) {
    let (local, remote) = match tokio::try_join!(local, remote) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(error = %e, "upgrade failed");
            return;
        }
    };
    let mut local = TokioIo::new(local);
    let mut remote = TokioIo::new(remote);
    tokio::select! {
        _ = stop.cancelled() => tracing::debug!("upgraded connection ended with the tunnel"),
        r = tokio::io::copy_bidirectional(&mut local, &mut remote) => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "upgraded connection ended");
            }
        }
    }
}
