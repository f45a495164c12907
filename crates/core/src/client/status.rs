//! Session status values (manager 24.09 and 26.x), with unknown values kept, not rejected.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A compute session's status. Values a newer manager invents arrive as `Unknown` and count as
/// "still in progress".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum SessionStatus {
    Pending,
    Deprioritizing,
    Reserved,
    Scheduled,
    Preparing,
    Pulling,
    Prepared,
    Creating,
    Running,
    Restarting,
    RunningDegraded,
    Preempted,
    Rescheduling,
    Terminating,
    Terminated,
    Error,
    Cancelled,
    /// The create call's pseudo-status when `maxWaitSeconds` ran out.
    Timeout,
    Unknown(String),
}

const NAMES: &[(&str, SessionStatus)] = &[
    ("PENDING", SessionStatus::Pending),
    ("DEPRIORITIZING", SessionStatus::Deprioritizing),
    ("RESERVED", SessionStatus::Reserved),
    ("SCHEDULED", SessionStatus::Scheduled),
    ("PREPARING", SessionStatus::Preparing),
    ("PULLING", SessionStatus::Pulling),
    ("PREPARED", SessionStatus::Prepared),
    ("CREATING", SessionStatus::Creating),
    ("RUNNING", SessionStatus::Running),
    ("RESTARTING", SessionStatus::Restarting),
    ("RUNNING_DEGRADED", SessionStatus::RunningDegraded),
    ("PREEMPTED", SessionStatus::Preempted),
    ("RESCHEDULING", SessionStatus::Rescheduling),
    ("TERMINATING", SessionStatus::Terminating),
    ("TERMINATED", SessionStatus::Terminated),
    ("ERROR", SessionStatus::Error),
    ("CANCELLED", SessionStatus::Cancelled),
    ("TIMEOUT", SessionStatus::Timeout),
];

impl SessionStatus {
    /// Parse a manager status name; case-insensitive; never fails.
    pub fn parse(s: &str) -> SessionStatus {
        let upper = s.trim().to_ascii_uppercase();
        NAMES
            .iter()
            .find(|(n, _)| *n == upper)
            .map(|(_, st)| st.clone())
            .unwrap_or(SessionStatus::Unknown(s.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            SessionStatus::Unknown(s) => s,
            known => NAMES
                .iter()
                .find(|(_, st)| st == known)
                .map(|(n, _)| *n)
                .unwrap_or_default(),
        }
    }

    /// The session is gone or will never run: TERMINATED, CANCELLED, ERROR.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            SessionStatus::Terminated | SessionStatus::Cancelled | SessionStatus::Error
        )
    }

    /// The session's apps can be used.
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            SessionStatus::Running | SessionStatus::RunningDegraded
        )
    }

    /// Every status a list query can ask for (all of them, terminal ones included).
    pub fn all_known() -> Vec<SessionStatus> {
        NAMES
            .iter()
            .filter(|(_, s)| *s != SessionStatus::Timeout)
            .map(|(_, s)| s.clone())
            .collect()
    }
}

impl From<String> for SessionStatus {
    fn from(s: String) -> Self {
        SessionStatus::parse(&s)
    }
}

impl From<SessionStatus> for String {
    fn from(s: SessionStatus) -> String {
        s.as_str().to_owned()
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_known_name_both_ways() {
        for (name, status) in NAMES {
            assert_eq!(SessionStatus::parse(name), *status);
            assert_eq!(status.as_str(), *name);
        }
        assert_eq!(
            SessionStatus::parse("running_degraded"),
            SessionStatus::RunningDegraded
        );
    }

    #[test]
    fn unknown_values_are_kept_and_in_progress() {
        let s: SessionStatus = serde_json::from_str("\"WARMING_UP\"").expect("never fails");
        assert_eq!(s, SessionStatus::Unknown("WARMING_UP".into()));
        assert!(!s.is_terminal() && !s.is_running());
        assert_eq!(
            serde_json::to_string(&s).expect("serializes"),
            "\"WARMING_UP\""
        );
    }

    #[test]
    fn terminal_and_running_sets() {
        let terminal: Vec<_> = NAMES
            .iter()
            .filter(|(_, s)| s.is_terminal())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(terminal, ["TERMINATED", "ERROR", "CANCELLED"]);
        let running: Vec<_> = NAMES
            .iter()
            .filter(|(_, s)| s.is_running())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(running, ["RUNNING", "RUNNING_DEGRADED"]);
    }
}
