//! Launching a notebook: create (or reuse) a session, follow it to RUNNING, pick the app, open
//! a local tunnel to it and wait until the app answers. Cancellable at any point.
//!
//! The tunnel itself lives in `bai-tunnel` (which depends on this crate), so the launcher only
//! sees it through the small [`TunnelOpener`] / [`AppTunnel`] traits and gets one injected.
//!
//! - [`request`]: what to launch ([`LaunchRequest`], [`ReusePolicy`])
//! - [`progress`]: what the UI shows while waiting ([`LaunchProgress`], [`LaunchPhase`])
//! - [`tunnel`]: the injected tunnel ([`TunnelOpener`], [`AppTunnel`], [`TunnelStats`])
//! - [`apps`]: which app to open
//! - [`history`]: every accepted create request, per profile, for "launch again"
//!
//! A launch that does not end ready ends with a [`crate::Error`] (`launch-*` codes for its own
//! failures, the API's codes for failed calls).
//! - [`launcher`]: the state machine ([`Launcher`], [`LaunchHandle`], [`Ready`])

pub mod apps;
pub mod history;
pub mod launcher;
pub mod progress;
pub mod request;
pub mod tunnel;

pub use apps::pick_app;
pub use history::{HistorySink, LaunchHistory, LaunchRecord};
pub use launcher::{LaunchHandle, Launcher, Ready};
pub use progress::{LaunchPhase, LaunchProgress};
pub use request::{LaunchRequest, ReusePolicy, SessionTarget};
pub use tunnel::{AppTunnel, ProbeOutcome, TunnelOpener, TunnelStats};
