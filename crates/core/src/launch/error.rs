//! How a launch ends when it does not end ready. Each message says what happened and, where
//! there is one, what to do.

use std::time::Duration;

use crate::client::SessionStatus;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// A Backend.AI call failed (create, status, apps).
    #[error(transparent)]
    Api(#[from] crate::Error),

    /// The session ended (ERROR, CANCELLED, TERMINATED) before it was usable.
    #[error("{}", ended_message(.session, .status, .status_info.as_deref()))]
    SessionEnded {
        session: String,
        status: SessionStatus,
        status_info: Option<String>,
    },

    #[error(
        "session {session:?} was still {status} after {}s; it may be waiting for resources. Try again later or ask for less",
        .after.as_secs()
    )]
    StartTimeout {
        session: String,
        status: SessionStatus,
        after: Duration,
    },

    #[error("{}", not_offered_message(.app.as_deref(), .offered))]
    AppNotOffered {
        app: Option<String>,
        offered: Vec<String>,
    },

    #[error("app {app:?} speaks {protocol}, not HTTP, so a browser cannot open it")]
    AppNotWeb { app: String, protocol: String },

    #[error("cannot open the local tunnel: {0}")]
    TunnelOpen(String),

    #[error(
        "{app} did not answer within {}s ({last}); the session runs, so try opening it again in a moment",
        .after.as_secs()
    )]
    NotReady {
        app: String,
        after: Duration,
        last: String,
    },

    #[error("{app} cannot be opened: {reason}")]
    ProbeFailed { app: String, reason: String },

    #[error("{}", cancelled_message(.session.as_deref(), *.destroyed))]
    Cancelled {
        session: Option<String>,
        /// Whether the session was destroyed because of the cancel.
        destroyed: bool,
    },
}

impl LaunchError {
    /// A stable machine code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            LaunchError::Api(e) => e.code(),
            LaunchError::SessionEnded { .. } => "launch-session-ended",
            LaunchError::StartTimeout { .. } => "launch-start-timeout",
            LaunchError::AppNotOffered { .. } => "launch-app-not-offered",
            LaunchError::AppNotWeb { .. } => "launch-app-not-web",
            LaunchError::TunnelOpen(_) => "launch-tunnel-open",
            LaunchError::NotReady { .. } => "launch-app-not-ready",
            LaunchError::ProbeFailed { .. } => "launch-app-failed",
            LaunchError::Cancelled { .. } => "launch-cancelled",
        }
    }
}

fn ended_message(session: &str, status: &SessionStatus, info: Option<&str>) -> String {
    let what = match status {
        SessionStatus::Error => "failed",
        SessionStatus::Cancelled => "was cancelled",
        _ => "was terminated",
    };
    match info {
        Some(i) if !i.is_empty() => format!("session {session:?} {what} ({status}: {i})"),
        _ => format!("session {session:?} {what} ({status}; the server gave no reason)"),
    }
}

fn not_offered_message(app: Option<&str>, offered: &[String]) -> String {
    let list = if offered.is_empty() {
        "none".to_owned()
    } else {
        offered.join(", ")
    };
    match app {
        Some(a) => format!("the session does not offer app {a:?}; it offers: {list}"),
        None => format!(
            "the session offers no Jupyter app; choose one of: {list} (or an image with Jupyter)"
        ),
    }
}

fn cancelled_message(session: Option<&str>, destroyed: bool) -> String {
    match (session, destroyed) {
        (Some(s), true) => format!("launch cancelled; session {s:?} was destroyed"),
        (Some(s), false) => format!("launch cancelled; session {s:?} was left running"),
        (None, _) => "launch cancelled before a session was created".into(),
    }
}
