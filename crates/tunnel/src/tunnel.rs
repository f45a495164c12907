//! The listener and its handle.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bai_core::client::Client;
use bai_core::launch::{AppTunnel, ProbeOutcome, TunnelStats};
use bai_secrets::Secret;
use futures_util::future::BoxFuture;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::auth::Access;
use crate::config::TunnelConfig;
use crate::limits::{self, Pending};
use crate::shared::Shared;
use crate::spares::Spares;
use crate::stats::Counters;
use crate::{address, relay, serve};

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
        limits::raise_fd_limit();
        let listener = address::bind(&config).await?;
        let local_addr = listener.local_addr().map_err(|source| TunnelError::Bind {
            addr: config.bind,
            source,
        })?;
        let stop = CancellationToken::new();
        let shared = Arc::new(Shared {
            client,
            session: session.to_owned(),
            app: app.to_owned(),
            access: Access::new(local_addr, config.token_lifetime),
            spares: Spares::new(
                config.spare_connections,
                config.spare_max_age,
                config.spare_idle,
            ),
            pending: Arc::new(Pending::default()),
            config,
            counters: Arc::new(Counters::default()),
            was_up: AtomicBool::new(false),
            stop: stop.clone(),
        });
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

    /// `http://ADDR:PORT/__launcher/auth?token=…`, a new one at each call: the only way in.
    /// It works once, within the token lifetime (60 s by default). Never log it.
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

    /// Pre-opened WebSockets held now (see `TunnelConfig::spare_connections`).
    pub fn spare_connections(&self) -> usize {
        self.inner.shared.spares.len()
    }

    pub fn session(&self) -> &str {
        &self.inner.shared.session
    }

    pub fn app(&self) -> &str {
        &self.inner.shared.app
    }

    pub async fn probe(&self) -> ProbeOutcome {
        let s = &self.inner.shared;
        relay::probe(&s.client, &s.session, &s.app, &s.config).await
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
                let place = shared.pending.enter(shared.config.max_unauthenticated);
                let shared = shared.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = serve::connection(sock, shared, place) => {}
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

/// Keep the spare pool full while the tunnel is in use, opening the missing ones in parallel;
/// renew them as they age, close them when idle, and back off while the app refuses (then
/// one at a time, a second apart, until one opens).
async fn refill_spares(s: Arc<Shared>, stop: CancellationToken) {
    let mut opening = tokio::task::JoinSet::new();
    let mut retry_at: Option<Instant> = None;
    let mut failing = false;
    loop {
        if retry_at.is_none_or(|t| Instant::now() >= t) {
            retry_at = None;
            let mut n = s.spares.tend(opening.len());
            if failing {
                n = n.min(usize::from(opening.is_empty()));
            }
            for _ in 0..n {
                let s = s.clone();
                opening.spawn(async move {
                    relay::connect(&s.client, &s.session, &s.app, &s.config).await
                });
            }
        }
        let next = match (s.spares.next_check(), retry_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        tokio::select! {
            _ = stop.cancelled() => {
                s.spares.clear();
                return;
            }
            _ = s.spares.wanted() => {}
            Some(opened) = opening.join_next(), if !opening.is_empty() => match opened {
                Ok(Ok(ws)) => {
                    failing = false;
                    s.spares.put(ws);
                }
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "spare WebSocket did not open");
                    failing = true;
                    retry_at = Some(Instant::now() + Duration::from_secs(1));
                }
                Err(e) => tracing::debug!(error = %e, "spare WebSocket task failed"),
            },
            _ = sleep_until_some(next) => {}
        }
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
