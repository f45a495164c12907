//! What the session service tells its front ends (camelCase JSON, as the app's UI reads it).
//! No view ever holds a secret: a tunnel's auth URL is asked of the tunnel by the window that
//! opens it.

use std::collections::BTreeMap;

use crate::client::{SessionStatus, SessionSummary, StatusPhase};
use crate::idle::IdleCheckView;
use crate::launch::{LaunchPhase, LaunchProgress};
use crate::resources::is_accelerator_slot;
use serde::Serialize;
use serde_json::Value;

/// A failure as a front end shows it: a stable `code` to branch on and a `message` for a
/// person, in the front end's own words (see [`Wording`](super::Wording)). Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
}

impl Problem {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The core's own words: its code and its message.
    pub fn neutral(e: &crate::Error) -> Self {
        Problem::new(e.code(), e.to_string())
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// One session in a profile's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    pub name: String,
    pub image: Option<String>,
    /// As the server sent it, e.g. `RUNNING`, `PENDING`, `PREEMPTED`, or one the app does not
    /// know; shown as is.
    pub status: String,
    /// What the status means (core's one classification): `running`, `transitional`,
    /// `ended`, `unknown`. The UI picks its badge from this, never from the status text.
    pub phase: StatusPhase,
    /// Running, but the server says something is wrong (`RUNNING_DEGRADED`): show a warning.
    pub degraded: bool,
    pub status_info: Option<String>,
    /// ISO 8601, as the server sent it; the UI shows the age from it.
    pub created_at: Option<String>,
    /// Slot → amount as the server reports it (occupied, else requested), e.g. `cpu: "1"`.
    pub resources: BTreeMap<String, String>,
    /// The web apps the session offers (`http`/`preopen` service ports).
    pub apps: Vec<String>,
    /// The session offers SSH (an `sshd` service port): VS Code and a terminal can reach it.
    pub ssh: bool,
    /// A notebook window (and tunnel) of this session is open in the app.
    pub open: bool,
    /// The cluster's idle checkers for this session, soonest deadline first (empty when the
    /// cluster reports none).
    pub idle: Vec<IdleCheckView>,
    /// The session holds accelerators (a GPU, ...): the spend guard watches it.
    pub accelerated: bool,
}

impl SessionView {
    pub fn new(s: &SessionSummary, open: bool) -> Self {
        let slots = if s.occupying_slots.is_empty() {
            &s.requested_slots
        } else {
            &s.occupying_slots
        };
        SessionView {
            id: s.id.clone(),
            name: s.name.clone(),
            image: s.image.clone(),
            status: s.status.as_str().to_owned(),
            phase: s.status.phase(),
            degraded: s.status.is_degraded(),
            status_info: s.status_info.clone().filter(|i| !i.is_empty()),
            created_at: s.created_at.clone(),
            resources: slots
                .iter()
                .map(|(k, v)| (k.clone(), slot_text(v)))
                .collect(),
            apps: s
                .service_ports
                .iter()
                .filter(|p| p.protocol == "http" || p.protocol == "preopen")
                .map(|p| p.name.clone())
                .collect(),
            ssh: s.service_ports.iter().any(|p| p.name == "sshd"),
            open,
            idle: crate::idle::views(&s.idle_checks),
            accelerated: slots.iter().any(|(k, v)| {
                is_accelerator_slot(k) && slot_text(v).parse::<f64>().is_ok_and(|n| n > 0.0)
            }),
        }
    }

    /// The session's apps can be used (`RUNNING_DEGRADED` included).
    pub fn is_running(&self) -> bool {
        self.phase == StatusPhase::Running
    }

    /// The same session in a status read from the session itself.
    pub fn with_status(&self, status: &SessionStatus, info: Option<&str>) -> SessionView {
        SessionView {
            status: status.as_str().to_owned(),
            phase: status.phase(),
            degraded: status.is_degraded(),
            status_info: info.filter(|i| !i.is_empty()).map(str::to_owned),
            ..self.clone()
        }
    }
}

fn slot_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `sessions-changed` event: a profile's sessions as of now, or why they cannot be listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionsSnapshot {
    pub profile_id: String,
    pub profile_name: String,
    pub sessions: Vec<SessionView>,
    /// Set when the last refresh failed (e.g. `network-error`: the cluster is unreachable).
    /// `sessions` then holds the last list that was read, which may be out of date.
    pub error: Option<Problem>,
}

/// The `launch-progress` event and the `launch_status` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchView {
    pub launch_id: String,
    pub profile_id: String,
    pub profile_name: String,
    pub phase: LaunchPhase,
    pub session_name: Option<String>,
    pub session_id: Option<String>,
    pub status: Option<String>,
    pub status_info: Option<String>,
    pub elapsed_ms: u64,
    pub app: Option<String>,
    pub probe_attempts: u32,
    pub message: String,
    /// Set when the launch failed or was cancelled: what happened and what to do.
    pub error: Option<Problem>,
}

impl LaunchView {
    pub fn new(launch_id: &str, profile_id: &str, profile_name: &str, p: &LaunchProgress) -> Self {
        LaunchView {
            launch_id: launch_id.to_owned(),
            profile_id: profile_id.to_owned(),
            profile_name: profile_name.to_owned(),
            phase: p.phase,
            session_name: p.session_name.clone(),
            session_id: p.session_id.clone(),
            status: p.status.as_ref().map(|s| s.as_str().to_owned()),
            status_info: p.status_info.clone(),
            elapsed_ms: u64::try_from(p.elapsed.as_millis()).unwrap_or(u64::MAX),
            app: p.app.clone(),
            probe_attempts: p.probe_attempts,
            message: p.message.clone(),
            error: None,
        }
    }
}

/// What `quick_start` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuickStartView {
    /// The launch to follow, or `None` when a running quick-start window was shown again.
    pub launch_id: Option<String>,
    pub profile_id: String,
    pub reused: bool,
}
