//! `bai-tunnel`: a private local tunnel to an app of a Backend.AI session.
//!
//! A listener on loopback (an address of its own in 127.0.0.0/8 where the OS allows) serves
//! each accepted connection with a real HTTP/1.1 server. Every request must name this
//! listener in `Host`, come from no other origin, and carry a per-launch cookie that only a
//! single-use auth URL hands out; admitted requests go to the app over the connection's own
//! signed WebSocket (`/stream/session/{id}/tcpproxy?app=`), without the launcher's cookies.
//!
//! - [`config`](mod@config) — [`TunnelConfig`] (bind address, limits, keep-alive)
//! - [`tunnel`]: [`Tunnel::start`] and the [`TunnelHandle`] it returns
//! - [`opener`]: [`WsTunnelOpener`], the `bai_core::launch::TunnelOpener` to inject
//! - [`policy`], [`auth`], [`pages`]: admission of each request and the answers to refused ones
//! - [`serve`]: one local connection; [`wsio`]: a WebSocket as a byte stream
//! - [`address`], [`limits`], [`peer`]: where it listens, what a flood cannot exhaust, and
//!   who connected (with `verify_peer_user`, another user's program is refused even with
//!   the cookie)
//! - [`relay`]: opening the WebSocket, probing; [`spares`]: pre-opened WebSockets
//! - [`stats`](mod@stats) — counters

pub mod address;
pub mod auth;
pub mod config;
pub mod limits;
pub mod opener;
pub mod pages;
pub mod peer;
pub mod policy;
pub mod relay;
pub mod serve;
mod shared;
pub mod spares;
pub mod stats;
pub mod tcp_stream;
pub mod tunnel;
pub mod wsio;

pub use config::TunnelConfig;
pub use opener::WsTunnelOpener;
pub use tunnel::{Tunnel, TunnelError, TunnelHandle};

pub use bai_core::launch::TunnelStats;
