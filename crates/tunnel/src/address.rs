//! Where a tunnel listens. Browsers scope cookies by host, not port, and treat every port of a
//! host as one site, so two tunnels (or a tunnel and any local dev server) on 127.0.0.1 could
//! read each other's cookies and pass SameSite. Where the OS routes all of 127.0.0.0/8 to
//! loopback (Linux, Windows) each tunnel takes a random address there: an origin and a site of
//! its own. Elsewhere (macOS configures only 127.0.0.1) it falls back to 127.0.0.1.

use std::net::{Ipv4Addr, SocketAddr};

use rand::Rng;
use tokio::net::TcpListener;

use crate::config::TunnelConfig;
use crate::tunnel::TunnelError;

/// A random address of 127.0.0.0/8, away from 127.0.0.x and 127.0.1.1 (the host's own name on
/// Debian) and from network/broadcast-looking last octets.
pub fn random_loopback() -> Ipv4Addr {
    let mut rng = rand::rng();
    Ipv4Addr::new(
        127,
        rng.random_range(2..=254),
        rng.random_range(0..=255),
        rng.random_range(1..=254),
    )
}

fn wants_own_address(config: &TunnelConfig) -> bool {
    config.own_address
        && config.bind.ip() == Ipv4Addr::LOCALHOST
        && cfg!(any(target_os = "linux", target_os = "windows"))
}

/// Bind the listener: on an address of its own where that works, else on `config.bind`.
pub async fn bind(config: &TunnelConfig) -> Result<TcpListener, TunnelError> {
    if wants_own_address(config) {
        for _ in 0..3 {
            let addr = SocketAddr::from((random_loopback(), config.bind.port()));
            match TcpListener::bind(addr).await {
                Ok(l) => return Ok(l),
                Err(e) => tracing::debug!(%addr, error = %e, "own loopback address refused"),
            }
        }
    }
    TcpListener::bind(config.bind)
        .await
        .map_err(|source| TunnelError::Bind {
            addr: config.bind,
            source,
        })
}
