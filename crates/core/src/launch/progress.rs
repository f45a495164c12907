//! What a launch reports while it runs (sent on a `watch` channel: the UI sees the latest).

use std::time::Duration;

use serde::Serialize;

use crate::client::SessionStatus;

/// Where the launch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LaunchPhase {
    /// `POST /session` (enqueue only) or looking up the existing session.
    Creating,
    /// Following the session (events, polling as fallback) until RUNNING.
    Starting,
    /// RUNNING: choosing the app.
    PickingApp,
    /// Starting the local listener.
    OpeningTunnel,
    /// Waiting for the app to answer through the tunnel (it may still be starting).
    Probing,
    Ready,
    /// Cancel asked for; destroying the session if this launch created it.
    Cancelling,
    Cancelled,
    Failed,
}

impl LaunchPhase {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LaunchPhase::Ready | LaunchPhase::Cancelled | LaunchPhase::Failed
        )
    }
}

/// One progress snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaunchProgress {
    pub phase: LaunchPhase,
    pub session_name: Option<String>,
    pub session_id: Option<String>,
    /// The session's last known status.
    pub status: Option<SessionStatus>,
    /// The manager's `status_info` (why the status is what it is), when it says.
    pub status_info: Option<String>,
    /// Since the launch began.
    pub elapsed: Duration,
    /// Position in the scheduler's queue, when the server tells (the REST API does not today).
    pub queue_position: Option<u32>,
    /// The app chosen, once chosen.
    pub app: Option<String>,
    /// Readiness probe attempts so far.
    pub probe_attempts: u32,
    /// A short human sentence about the current step.
    pub message: String,
}

impl LaunchProgress {
    pub(crate) fn initial() -> Self {
        LaunchProgress {
            phase: LaunchPhase::Creating,
            session_name: None,
            session_id: None,
            status: None,
            status_info: None,
            elapsed: Duration::ZERO,
            queue_position: None,
            app: None,
            probe_attempts: 0,
            message: "creating the session".into(),
        }
    }
}
