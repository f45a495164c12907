//! The listener and its handle.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use bai_core::client::Client;
use bai_core::launch::{AppTunnel, ProbeOutcome, TunnelStats};
use bai_secrets::Secret;
use futures_util::future::BoxFuture;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::auth::Access;
use crate::config::TunnelConfig;
use crate::gate::{self, Verdict};
use crate::pages;
use crate::relay::{self, ConnectError};
use crate::spares::Spares;
use crate::stats::Counters;

#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error(
        "refusing to listen on {0}: only loopback addresses are private to this computer (set allow_non_loopback to override)"
    )]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}. Choose another port, or 0 for any free one")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Starts tunnels.
#[derive(Debug)]
pub struct Tunnel;

/// What every connection task needs.
struct Shared {
    client: Client,
    session: String,
    app: String,
    config: TunnelConfig,
    access: Access,
    counters: Arc<Counters>,
    spares: Spares,
    /// The app has answered through this tunnel: a later failure is a lost connection, not
    /// an app still starting.
    was_up: AtomicBool,
}

/// A running tunnel. Dropping the last clone closes it (listener and connections).
#[derive(Clone)]
pub struct TunnelHandle {
    inner: Arc<HandleInner>,
}

struct HandleInner {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl fmt::Debug for TunnelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TunnelHandle")
            .field("local_addr", &self.inner.local_addr)
            .field("session", &self.inner.shared.session)
            .field("app", &self.inner.shared.app)
            .finish_non_exhaustive()
    }
}

impl Tunnel {
    /// Listen and start relaying connections to `app` of `session` (name or id).
    pub async fn start(
        client: Client,
        session: &str,
        app: &str,
        config: TunnelConfig,
    ) -> Result<TunnelHandle, TunnelError> {
        if !config.bind.ip().is_loopback() {
            if !config.allow_non_loopback {
                return Err(TunnelError::NotLoopback(config.bind));
            }
            tracing::warn!(
                addr = %config.bind,
                "the tunnel listens beyond this computer; anyone who can reach it and holds the link can use the app"
            );
        }
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| TunnelError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| TunnelError::Bind {
            addr: config.bind,
            source,
        })?;
        let shared = Arc::new(Shared {
            client,
            session: session.to_owned(),
            app: app.to_owned(),
            access: Access::new(local_addr.port()),
            spares: Spares::new(config.spare_connections, config.spare_max_age),
            config,
            counters: Arc::new(Counters::default()),
            was_up: AtomicBool::new(false),
        });
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, shared.clone(), stop.clone()));
        if shared.spares.enabled() {
            tokio::spawn(refill_spares(shared.clone(), stop.clone()));
        }
        tracing::info!(%local_addr, app, "tunnel listening");
        Ok(TunnelHandle {
            inner: Arc::new(HandleInner {
                local_addr,
                shared,
                stop,
            }),
        })
    }
}

impl TunnelHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// `http://127.0.0.1:PORT/__launcher/auth?token=…`: the only way in. Never log it.
    pub fn auth_url(&self) -> Secret {
        self.inner.shared.access.auth_url()
    }

    /// The cookie's name (its value is secret and only the auth URL hands it out).
    pub fn cookie_name(&self) -> String {
        self.inner.shared.access.cookie_name()
    }

    pub fn stats(&self) -> TunnelStats {
        self.inner.shared.counters.snapshot()
    }

    pub fn session(&self) -> &str {
        &self.inner.shared.session
    }

    pub fn app(&self) -> &str {
        &self.inner.shared.app
    }

    pub async fn probe(&self) -> ProbeOutcome {
        let s = &self.inner.shared;
        relay::probe(
            &s.client,
            &s.session,
            &s.app,
            &s.config.start_path,
            s.config.connect_timeout,
        )
        .await
    }

    /// Stop listening and end every open connection.
    pub fn close(&self) {
        self.inner.stop.cancel();
        self.inner.shared.spares.clear();
    }

    pub fn is_closed(&self) -> bool {
        self.inner.stop.is_cancelled()
    }
}

impl AppTunnel for TunnelHandle {
    fn local_addr(&self) -> SocketAddr {
        TunnelHandle::local_addr(self)
    }
    fn auth_url(&self) -> Secret {
        TunnelHandle::auth_url(self)
    }
    fn stats(&self) -> TunnelStats {
        TunnelHandle::stats(self)
    }
    fn probe(&self) -> BoxFuture<'_, ProbeOutcome> {
        Box::pin(TunnelHandle::probe(self))
    }
    fn close(&self) {
        TunnelHandle::close(self)
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((sock, _peer)) => {
                let shared = shared.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = serve(sock, &shared) => {}
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: pause instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn serve(mut sock: TcpStream, s: &Shared) {
    let _open = s.counters.opened();
    let _ = sock.set_nodelay(true);
    let c = &s.config;
    let first = match gate::admit(
        &mut sock,
        &s.access,
        &c.start_path,
        c.max_head_bytes,
        c.head_timeout,
    )
    .await
    {
        Verdict::Admit(bytes) => bytes,
        Verdict::Reply { response, refused } => {
            if refused {
                s.counters.rejected();
            }
            let _ = sock.write_all(&response).await;
            let _ = sock.shutdown().await;
            return;
        }
        Verdict::Close => return,
    };
    let opened = match s.spares.take() {
        Some(ws) => Ok(ws),
        None => relay::connect(&s.client, &s.session, &s.app, c.connect_timeout).await,
    };
    let ws = match opened {
        Ok(ws) => ws,
        Err(e) => {
            s.counters.error();
            tracing::debug!(error = %e, "tunnel WebSocket did not open");
            let page = match &e {
                ConnectError::Request(_) | ConnectError::Status { status: 400..500 } => {
                    pages::bad_gateway(&pages::escape(&e.to_string()))
                }
                _ => pages::unavailable(&s.app, s.was_up.load(Relaxed)),
            };
            let _ = sock.write_all(&page).await;
            let _ = sock.shutdown().await;
            return;
        }
    };
    relay::pump(sock, ws, first, &s.app, &s.was_up, c, &s.counters).await;
}

/// Keep the spare pool full once asked to; back off while the app refuses.
async fn refill_spares(s: Arc<Shared>, stop: CancellationToken) {
    let c = &s.config;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = s.spares.wanted() => {}
        }
        while s.spares.missing() > 0 {
            let opened = tokio::select! {
                _ = stop.cancelled() => return,
                r = relay::connect(&s.client, &s.session, &s.app, c.connect_timeout) => r,
            };
            match opened {
                Ok(ws) => s.spares.put(ws),
                Err(e) => {
                    tracing::debug!(error = %e, "spare WebSocket did not open");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    break;
                }
            }
        }
        if stop.is_cancelled() {
            s.spares.clear();
            return;
        }
    }
}
