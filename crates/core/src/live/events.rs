//! What the session service publishes. Front ends subscribe ([`SessionService::subscribe`]) and
//! each shows what it needs: the launcher's lists and progress views, the tray's menu, desktop
//! notifications, notebook windows. None of them is called by the service.
//!
//! [`SessionService::subscribe`]: super::SessionService::subscribe

use serde::Serialize;

use super::open_tunnel::OpenTunnel;
use super::views::{LaunchView, SessionsSnapshot};

/// One thing that happened, in the order it happened.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A watched profile's sessions changed (or why they cannot be listed now).
    SessionsChanged(SessionsSnapshot),
    /// The set of watched profiles changed (a list was dropped) or the profiles did: whatever
    /// shows every watched list (the tray) shows it again.
    WatchedChanged,
    /// A launch began (also from the tray): a progress view may follow it.
    LaunchStarted(LaunchView),
    /// A launch's step, and its end (`ready`, `failed`, `cancelled`).
    LaunchProgress(LaunchView),
    /// A launch's tunnel is up and nothing shows it yet: a window is to open on it and report
    /// with [`window_opened`](super::SessionService::window_opened), or
    /// [`tunnel_unusable`](super::SessionService::tunnel_unusable) when it cannot.
    TunnelUp {
        launch_id: String,
        tunnel: OpenTunnel,
    },
    /// Show this tunnel's windows again (quick start or "Open" of a session already open).
    Focus(OpenTunnel),
    /// The session ended on the server: the tunnel is closed; its windows say so.
    TunnelLost(OpenTunnel),
    /// The app ended the session: the tunnel is closed; its windows go away.
    TunnelClosed(OpenTunnel),
    /// Something a person should hear about even with no window open.
    Notice(Notice),
}

/// Why a notice is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    SessionReady,
    LaunchFailed,
    SessionEnded,
    /// The app's window closed and the app keeps running (in the tray).
    StillRunning,
    /// An idle checker is about to reclaim a session.
    IdleWarning,
    /// A session with accelerators has sat idle for the time the user set: terminate or keep.
    IdleSpend,
}

/// A notice: names of sessions and profiles and error messages, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// The session it is about, for a front end to act on (open, keep alive, terminate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<NoticeSession>,
}

/// The session a notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeSession {
    pub profile_id: String,
    pub session_id: String,
    pub session_name: String,
}
