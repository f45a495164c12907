//! Compute sessions: the model and the state machine that walks them to RUNNING.

mod machine;
pub mod rest;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::ServicePort;

pub use machine::{destroy, fail, reclaim, spawn_driver, terminate_remotely};

/// Session status names as the manager spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pending,
    Scheduled,
    Preparing,
    Pulling,
    Prepared,
    Creating,
    Running,
    Terminating,
    Terminated,
    Error,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Scheduled => "SCHEDULED",
            Status::Preparing => "PREPARING",
            Status::Pulling => "PULLING",
            Status::Prepared => "PREPARED",
            Status::Creating => "CREATING",
            Status::Running => "RUNNING",
            Status::Terminating => "TERMINATING",
            Status::Terminated => "TERMINATED",
            Status::Error => "ERROR",
            Status::Cancelled => "CANCELLED",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        serde_json::from_value(json!(s.trim().to_ascii_uppercase())).ok()
    }
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Terminated | Status::Error | Status::Cancelled)
    }
    /// The order a new session walks through.
    pub const PROGRESSION: [Status; 7] = [
        Status::Pending,
        Status::Scheduled,
        Status::Preparing,
        Status::Pulling,
        Status::Prepared,
        Status::Creating,
        Status::Running,
    ];
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One compute session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: uuid::Uuid,
    pub kernel_id: uuid::Uuid,
    pub name: String,
    pub access_key: String,
    pub user_email: String,
    pub user_id: uuid::Uuid,
    pub domain: String,
    pub project: String,
    pub project_id: uuid::Uuid,
    pub image: String,
    pub architecture: String,
    pub session_type: String,
    pub tag: Option<String>,
    pub status: Status,
    pub status_info: Option<String>,
    pub status_changed: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub requested: BTreeMap<String, Value>,
    /// The create call's `config` as sent (resources, resource options, ...), for tests that
    /// check what a client asked for.
    pub create_config: Value,
    /// The whole create body as sent, for tests that compare two launches' requests.
    pub create_body: Value,
    /// The request as slot numbers, for the capacity check.
    pub cpu: f64,
    pub mem: u64,
    pub environ: Value,
    pub service_ports: Vec<ServicePort>,
    pub hold: Option<Status>,
    pub status_history: BTreeMap<String, String>,
    /// The status the server reports instead of `status` (set by the control API), to show
    /// 26.x statuses (`PREEMPTED`, `RUNNING_DEGRADED`, …) and ones no client knows. The
    /// session otherwise keeps behaving as `status`.
    pub reported_status: Option<String>,
}

impl Session {
    /// The status as the server reports it.
    pub fn shown_status(&self) -> &str {
        self.reported_status
            .as_deref()
            .unwrap_or(self.status.as_str())
    }
    /// Slots as the manager reports them: strings, memory in bytes.
    pub fn slots_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("cpu".into(), json!(format_num(self.cpu)));
        m.insert("mem".into(), json!(self.mem.to_string()));
        for (k, v) in &self.requested {
            if k != "cpu" && k != "mem" {
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                m.insert(k.clone(), json!(s));
            }
        }
        Value::Object(m)
    }
    /// Occupied slots: the request once resources are allocated, else empty.
    pub fn occupied_json(&self) -> Value {
        match self.status {
            Status::Pending | Status::Cancelled => json!({}),
            _ => self.slots_json(),
        }
    }
    /// The REST view of `/stream/session/{id}/apps` and of `servicePorts`.
    pub fn apps_json(&self) -> Value {
        Value::Array(
            self.service_ports
                .iter()
                .map(|p| json!({"name": p.name, "protocol": p.protocol, "ports": [p.port]}))
                .collect(),
        )
    }
    /// The stored kernel format GraphQL returns (as a JSON string).
    pub fn kernel_service_ports_json(&self) -> Value {
        if self.status != Status::Running {
            return Value::Null;
        }
        Value::Array(
            self.service_ports
                .iter()
                .map(|p| {
                    json!({"name": p.name, "protocol": p.protocol, "container_ports": [p.port],
                           "host_ports": [p.port], "is_inference": false})
                })
                .collect(),
        )
    }
}

fn format_num(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// The session name rule `^(?=.{4,64}$)\w[\w.-]*\w$` (ASCII), without look-ahead.
pub fn valid_session_name(name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let n = name.chars().count();
    if !(4..=64).contains(&n) {
        return false;
    }
    let chars: Vec<char> = name.chars().collect();
    word(chars[0])
        && word(chars[n - 1])
        && chars[1..n - 1]
            .iter()
            .all(|&c| word(c) || c == '.' || c == '-')
}

/// Finds a live session by name or id (name lookup is scoped to the owner).
pub fn find_live<'a>(
    sessions: &'a [Session],
    name_or_id: &str,
    access_key: Option<&str>,
) -> Option<&'a Session> {
    let owner_ok = |s: &Session| access_key.is_none_or(|ak| s.access_key == ak);
    let live = |s: &&Session| !s.status.is_terminal() && owner_ok(s);
    if let Ok(id) = uuid::Uuid::parse_str(name_or_id)
        && let Some(s) = sessions.iter().filter(live).find(|s| s.id == id)
    {
        return Some(s);
    }
    sessions.iter().filter(live).find(|s| s.name == name_or_id)
}

/// Finds a session the manager's `get_session` still returns: everything but the "dead"
/// statuses TERMINATED and CANCELLED (`DEAD_SESSION_STATUSES`), so ERROR sessions are found.
pub fn find_not_dead<'a>(
    sessions: &'a [Session],
    name_or_id: &str,
    access_key: &str,
) -> Option<&'a Session> {
    let found = |s: &&Session| {
        !matches!(s.status, Status::Terminated | Status::Cancelled) && s.access_key == access_key
    };
    if let Ok(id) = uuid::Uuid::parse_str(name_or_id)
        && let Some(s) = sessions.iter().rev().filter(found).find(|s| s.id == id)
    {
        return Some(s);
    }
    // Newest first, as the manager orders matches by created_at descending.
    sessions
        .iter()
        .rev()
        .filter(found)
        .find(|s| s.name == name_or_id)
}

/// Finds any session, terminated or not, newest first (for the control API).
pub fn find_any<'a>(sessions: &'a [Session], name_or_id: &str) -> Option<&'a Session> {
    if let Some(s) = find_live(sessions, name_or_id, None) {
        return Some(s);
    }
    sessions
        .iter()
        .rev()
        .find(|s| s.id.to_string() == name_or_id || s.name == name_or_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_follow_the_manager_regex() {
        for ok in ["abcd", "my-sess.1", "a_b_", "x".repeat(64).as_str()] {
            assert!(valid_session_name(ok), "{ok}");
        }
        for bad in [
            "abc",
            "-abc",
            "abc-",
            "ab cd",
            "x".repeat(65).as_str(),
            "ab/cd",
            "",
        ] {
            assert!(!valid_session_name(bad), "{bad}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        assert_eq!(Status::parse("running"), Some(Status::Running));
        assert_eq!(Status::parse("nope"), None);
        assert_eq!(Status::Pulling.to_string(), "PULLING");
    }
}
