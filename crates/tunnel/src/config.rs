//! How a tunnel listens and relays.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Tunnel settings; `Default` is what the launcher uses.
#[derive(Debug, Clone)]
pub struct TunnelConfig {
    /// Where to listen. Default `127.0.0.1:0` (a free port).
    pub bind: SocketAddr,
    /// With `bind` on 127.0.0.1: listen on a random address of 127.0.0.0/8 instead, where the
    /// OS routes the whole block to loopback (Linux, Windows), so that each tunnel is an origin
    /// and a site of its own: browsers share cookies across the ports of one host.
    pub own_address: bool,
    /// Allow a non-loopback bind address. Anyone who can reach it and has the auth URL gets
    /// the notebook, so it stays off unless the user asks.
    pub allow_non_loopback: bool,
    /// Where the auth page sends the browser on.
    pub start_path: String,
    /// Largest request head accepted (larger: 431).
    pub max_head_bytes: usize,
    /// How long a new connection may take to be admitted (to send a request head that shows
    /// the cookie or a token); after that it is closed, so idle sockets cannot pile up.
    pub head_timeout: Duration,
    /// How long an admitted kept-alive connection may sit idle between requests (or take to
    /// send the next head). Browsers keep idle connections for minutes; closing them sooner
    /// makes every pause cost a new WebSocket to the manager.
    pub idle_timeout: Duration,
    /// Connections that have not yet shown the launch's cookie, at most. Beyond it the oldest
    /// waiting one is dropped.
    pub max_unauthenticated: usize,
    /// How long an auth URL works (and it works once).
    pub token_lifetime: Duration,
    /// WebSocket open limit (the manager may wait for the app's port before upgrading).
    pub connect_timeout: Duration,
    /// WebSocket ping interval, so idle connections survive proxies and dead peers show.
    pub ping_interval: Duration,
    /// On Linux, ask the kernel which user opened each connection and refuse other users'
    /// programs even with the cookie. Off by default: `/proc/net/tcp` is the only way without
    /// netlink, and reading it walks the kernel's whole connection table (about 8 ms per new
    /// connection on a 24 GiB machine), which the browser pays on every new connection. A
    /// netlink `sock_diag` lookup would make it cheap enough to turn on.
    pub verify_peer_user: bool,
    /// Largest WebSocket message or frame accepted from the server.
    pub max_ws_message: usize,
    /// Largest frame sent upstream.
    pub chunk_bytes: usize,
    /// WebSockets kept open ahead of need while the tunnel is in use (0: none). Six: a
    /// browser's connections to one host, so its first burst after the page never waits for
    /// a handshake through the manager.
    pub spare_connections: usize,
    /// A spare older than this is not used (the app may have closed its side meanwhile); it is
    /// replaced at three quarters of it while the tunnel is in use.
    pub spare_max_age: Duration,
    /// With no new local connection for this long the spares are closed (an idle tunnel
    /// holds none); the next new connection fills the pool again.
    pub spare_idle: Duration,
}

impl Default for TunnelConfig {
    fn default() -> Self {
        TunnelConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            own_address: true,
            allow_non_loopback: false,
            start_path: "/".into(),
            max_head_bytes: 64 * 1024,
            head_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(75),
            max_unauthenticated: 256,
            token_lifetime: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(60),
            ping_interval: Duration::from_secs(30),
            verify_peer_user: false,
            max_ws_message: 16 * 1024 * 1024,
            chunk_bytes: 256 * 1024,
            spare_connections: 6,
            spare_max_age: Duration::from_secs(20),
            spare_idle: Duration::from_secs(60),
        }
    }
}
