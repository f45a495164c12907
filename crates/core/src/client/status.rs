//! Session status values (manager 24.09 and 26.x), with unknown values kept, not rejected.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a status means for the launcher: the one classification the launch, the CLI, the
/// app's watcher, tray and UI all use. Front ends choose the words; this chooses the meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusPhase {
    /// The session's apps can be used (`RUNNING`; `RUNNING_DEGRADED` too, with a warning).
    Running,
    /// On its way somewhere: starting, restarting, preempted, rescheduled, deprioritized,
    /// terminating. It is not over: keep its notebook window and tunnel, never say "ended".
    Transitional,
    /// Gone or never going to run: `TERMINATED`, `CANCELLED`, `ERROR`.
    Ended,
    /// A status this client does not know (a newer manager's): shown as is, never treated as
    /// an error or an end.
    Unknown,
}

impl StatusPhase {
    /// Not ended: the session is (or may still be) alive.
    pub fn is_alive(self) -> bool {
        self != StatusPhase::Ended
    }
}

/// A compute session's status. Values a newer manager invents arrive as `Unknown` (the raw
/// string kept for display and round trips) and are never treated as an end.
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

    /// The one classification of a status (see [`StatusPhase`]).
    pub fn phase(&self) -> StatusPhase {
        match self {
            SessionStatus::Running | SessionStatus::RunningDegraded => StatusPhase::Running,
            SessionStatus::Terminated | SessionStatus::Cancelled | SessionStatus::Error => {
                StatusPhase::Ended
            }
            SessionStatus::Unknown(_) => StatusPhase::Unknown,
            SessionStatus::Pending
            | SessionStatus::Deprioritizing
            | SessionStatus::Reserved
            | SessionStatus::Scheduled
            | SessionStatus::Preparing
            | SessionStatus::Pulling
            | SessionStatus::Prepared
            | SessionStatus::Creating
            | SessionStatus::Restarting
            | SessionStatus::Preempted
            | SessionStatus::Rescheduling
            | SessionStatus::Terminating
            | SessionStatus::Timeout => StatusPhase::Transitional,
        }
    }

    /// Usable, but the manager says something is wrong (`RUNNING_DEGRADED`): front ends show
    /// it with a warning word.
    pub fn is_degraded(&self) -> bool {
        *self == SessionStatus::RunningDegraded
    }

    /// The session is gone or will never run (phase [`StatusPhase::Ended`]).
    pub fn is_terminal(&self) -> bool {
        self.phase() == StatusPhase::Ended
    }

    /// The session's apps can be used (phase [`StatusPhase::Running`]).
    pub fn is_running(&self) -> bool {
        self.phase() == StatusPhase::Running
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
    fn phases_of_the_26x_statuses_and_unknown_ones() {
        use StatusPhase::*;
        for (name, want) in [
            ("RUNNING", Running),
            ("RUNNING_DEGRADED", Running),
            ("PREEMPTED", Transitional),
            ("RESCHEDULING", Transitional),
            ("DEPRIORITIZING", Transitional),
            ("RESTARTING", Transitional),
            ("RESERVED", Transitional),
            ("TERMINATING", Transitional),
            ("PENDING", Transitional),
            ("TERMINATED", Ended),
            ("CANCELLED", Ended),
            ("ERROR", Ended),
            ("FROBNICATING", Unknown),
            ("", Unknown),
        ] {
            let s = SessionStatus::parse(name);
            assert_eq!(s.phase(), want, "{name}");
            assert_eq!(s.as_str(), name, "shown as is");
            assert_eq!(s.phase().is_alive(), want != Ended, "{name}");
        }
        assert!(SessionStatus::RunningDegraded.is_degraded());
        assert!(!SessionStatus::Running.is_degraded());
        // Unknown strings keep their spelling both ways.
        let s: SessionStatus = serde_json::from_str("\"Frobnicating\"").expect("never fails");
        assert_eq!(serde_json::to_string(&s).expect("ser"), "\"Frobnicating\"");
        assert_eq!(
            serde_json::to_string(&Transitional).expect("ser"),
            "\"transitional\""
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
