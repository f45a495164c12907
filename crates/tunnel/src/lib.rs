//! `bai-tunnel`: a private local tunnel to an app of a Backend.AI session.
//!
//! A listener on 127.0.0.1 relays each accepted TCP connection over its own signed WebSocket
//! (`/stream/session/{id}/tcpproxy?app=`) as raw bytes in binary frames. Only the launcher's
//! own clients get in: the first request of each connection must carry a per-launch cookie,
//! which only the secret auth URL hands out, and a `Host` naming this listener.
//!
//! - [`config`](mod@config) — [`TunnelConfig`] (bind address, limits, keep-alive)
//! - [`tunnel`]: [`Tunnel::start`] and the [`TunnelHandle`] it returns
//! - [`opener`]: [`WsTunnelOpener`], the `bai_core::launch::TunnelOpener` to inject
//! - [`gate`], [`auth`], [`pages`]: admission of a connection and the answers to refused ones
//! - [`relay`]: the WebSocket side (connect, pump, probe); [`spares`]: pre-opened WebSockets
//! - [`stats`](mod@stats) — counters

pub mod auth;
pub mod config;
pub mod gate;
pub mod opener;
pub mod pages;
pub mod relay;
pub mod spares;
pub mod stats;
pub mod tunnel;

pub use config::TunnelConfig;
pub use opener::WsTunnelOpener;
pub use tunnel::{Tunnel, TunnelError, TunnelHandle};

pub use bai_core::launch::TunnelStats;
