//! The tunnel as the launcher sees it. `bai-tunnel` implements these; tests may inject others.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bai_secrets::Secret;
use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::client::Client;

/// Counters of one tunnel (for the UI and the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TunnelStats {
    pub connections_open: u64,
    pub connections_total: u64,
    /// Local client → app.
    pub bytes_up: u64,
    /// App → local client.
    pub bytes_down: u64,
    /// Connections that ended in an error (WebSocket refused or dropped, 503 sent, ...).
    pub errors: u64,
    /// Connections refused by the gate (403/431).
    pub rejected: u64,
}

/// One readiness check of the app behind the tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The app answered.
    Ready,
    /// Not yet (close 1013, a 5xx, connection reset): try again later.
    NotYet(String),
    /// It will not work (404 unknown app, 401, ...): stop trying.
    Failed(String),
    /// The WebSocket's TLS handshake failed (unknown CA, name mismatch, expired): retrying
    /// cannot help, so the launch ends at once with [`Error::Tls`](crate::Error::Tls).
    Tls { url: String, detail: String },
}

/// A running local tunnel to one app of one session.
pub trait AppTunnel: Send + Sync + fmt::Debug {
    /// The listener's address (on loopback, often an address of its own in 127.0.0.0/8).
    fn local_addr(&self) -> SocketAddr;
    /// A URL that lets a browser in: a new one at each call, good once and for a short time
    /// (so ask for one each time a window or browser is to be opened). Never log it.
    fn auth_url(&self) -> Secret;
    fn stats(&self) -> TunnelStats;
    /// Try the app once, through the same signed WebSocket path the tunnel uses.
    fn probe(&self) -> BoxFuture<'_, ProbeOutcome>;
    /// Stop accepting and end every connection.
    fn close(&self);
}

/// Opens tunnels; injected into the [`Launcher`](super::Launcher).
pub trait TunnelOpener: Send + Sync + fmt::Debug {
    fn open<'a>(
        &'a self,
        client: &'a Client,
        session_id: &'a str,
        app: &'a str,
    ) -> BoxFuture<'a, Result<Arc<dyn AppTunnel>, String>>;
}
