//! An open tunnel as the service keeps it and its events carry it.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::launch::AppTunnel;

/// A tunnel the service holds open, and the windows showing it.
#[derive(Debug, Clone)]
pub struct OpenTunnel {
    pub profile_id: String,
    pub profile_name: String,
    pub session_id: String,
    pub session_name: String,
    pub app: String,
    pub tunnel: Arc<dyn AppTunnel>,
    /// The front end's names for the windows on this tunnel.
    pub windows: BTreeSet<String>,
    /// Started by quick start (so quick start shows it again instead of launching).
    pub quick_start: bool,
}

impl OpenTunnel {
    pub fn key(&self) -> String {
        tunnel_key(&self.session_id, &self.app)
    }
}

/// One tunnel per session and app.
pub fn tunnel_key(session_id: &str, app: &str) -> String {
    format!("{session_id}/{app}")
}
