//! Compute-session requests and answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::json_string;
use crate::client::status::SessionStatus;

/// `interactive` (notebooks) or `batch` (needs a startup command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionType {
    #[default]
    Interactive,
    Batch,
    Inference,
    System,
}

impl SessionType {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionType::Interactive => "interactive",
            SessionType::Batch => "batch",
            SessionType::Inference => "inference",
            SessionType::System => "system",
        }
    }
}

/// What to create. [`CreateSession::new`] fills the defaults (x86_64, interactive, project
/// `default`, enqueue only, no reuse).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSession {
    pub name: String,
    /// Canonical reference (`cr.backend.ai/stable/python:3.9-ubuntu20.04`) or an alias.
    pub image: String,
    /// The image's architecture, not this computer's (a Mac must still ask for x86_64).
    pub architecture: String,
    pub session_type: SessionType,
    /// Project (group) name.
    pub group: String,
    pub domain: String,
    /// Slot name → amount, e.g. `cpu: 2`, `mem: "4g"`, `cuda.shares: "0.5"`.
    pub resources: BTreeMap<String, Value>,
    pub resource_opts: BTreeMap<String, Value>,
    pub scaling_group: Option<String>,
    /// Virtual folder names to mount.
    pub mounts: Vec<String>,
    /// Folder name → path in the container.
    pub mount_map: BTreeMap<String, String>,
    pub environ: BTreeMap<String, String>,
    /// Return an existing session of the same name and image instead of failing.
    pub reuse_if_exists: bool,
    /// Return at once with PENDING (then follow the session) instead of waiting.
    pub enqueue_only: bool,
    /// Base64 shell script run before the session starts.
    pub bootstrap_script: Option<String>,
    pub startup_command: Option<String>,
}

impl CreateSession {
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        CreateSession {
            name: name.into(),
            image: image.into(),
            architecture: "x86_64".into(),
            session_type: SessionType::Interactive,
            group: "default".into(),
            domain: "default".into(),
            resources: BTreeMap::new(),
            resource_opts: BTreeMap::new(),
            scaling_group: None,
            mounts: Vec::new(),
            mount_map: BTreeMap::new(),
            environ: BTreeMap::new(),
            reuse_if_exists: false,
            enqueue_only: true,
            bootstrap_script: None,
            startup_command: None,
        }
    }

    /// The `POST /session` body, in the official client's field names.
    pub fn to_wire(&self) -> Value {
        json!({
            "name": self.name,
            "image": self.image,
            "architecture": self.architecture,
            "type": self.session_type.as_str(),
            "group": self.group,
            "domain": self.domain,
            "config": {
                "resources": self.resources,
                "resource_opts": self.resource_opts,
                "scalingGroup": self.scaling_group,
                "mounts": self.mounts,
                "mount_map": self.mount_map,
                "environ": self.environ,
            },
            "clusterSize": 1,
            "clusterMode": "single-node",
            "enqueueOnly": self.enqueue_only,
            "maxWaitSeconds": 0,
            "reuseIfExists": self.reuse_if_exists,
            "bootstrap_script": self.bootstrap_script,
            "startupCommand": self.startup_command,
            "tag": null,
        })
    }
}

/// The answer to `POST /session` (201, or 200 for a reused session).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedSession {
    pub session_id: String,
    #[serde(default)]
    pub session_name: String,
    pub status: SessionStatus,
    /// (A reused session also carries a deprecated `service_ports` copy, ignored here.)
    #[serde(default)]
    pub service_ports: Vec<AppInfo>,
    /// False when an existing session was reused.
    #[serde(default = "yes")]
    pub created: bool,
}

fn yes() -> bool {
    true
}

/// One app a session offers (`GET /stream/session/{id}/apps`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AppInfo {
    pub name: String,
    pub protocol: String,
    #[serde(default)]
    pub ports: Vec<u16>,
    #[serde(default)]
    pub url_template: Option<String>,
}

/// `GET /session/{id}`: what the manager knows about one session (camelCase on the wire).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub status: SessionStatus,
    #[serde(default, deserialize_with = "json_string::python_optional")]
    pub status_info: Option<String>,
    #[serde(default)]
    pub status_data: Value,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Milliseconds since creation.
    #[serde(default)]
    pub age: Option<f64>,
    #[serde(default)]
    pub creation_time: Option<String>,
    #[serde(default)]
    pub termination_time: Option<String>,
    /// Empty when the manager sends a Python repr instead of JSON (26.9.6 does).
    #[serde(default, deserialize_with = "json_string::lenient")]
    pub occupied_slots: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::lenient")]
    pub requested_slots: BTreeMap<String, Value>,
}

/// Which statuses a list asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Everything not yet finished (the web UI's default set).
    #[default]
    Active,
    /// Every status, finished ones and ones this client does not know included (no filter).
    All,
    Only(Vec<SessionStatus>),
}

impl StatusFilter {
    /// The comma-separated list `compute_session_list` takes; `None` (no filter) for `All`,
    /// so that statuses a newer manager has and this client does not know are listed too.
    pub fn to_query(&self) -> Option<String> {
        let list: Vec<SessionStatus> = match self {
            StatusFilter::Active => SessionStatus::all_known()
                .into_iter()
                .filter(|s| s.phase().is_alive())
                .collect(),
            StatusFilter::All => return None,
            StatusFilter::Only(v) => v.clone(),
        };
        Some(
            list.iter()
                .map(SessionStatus::as_str)
                .collect::<Vec<_>>()
                .join(","),
        )
    }
}

/// Arguments of [`Client::list_sessions`](crate::client::Client::list_sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSessions {
    pub status: StatusFilter,
    pub limit: u32,
    pub offset: u32,
    pub group_id: Option<String>,
    pub access_key: Option<String>,
}

impl Default for ListSessions {
    fn default() -> Self {
        ListSessions {
            status: StatusFilter::Active,
            limit: 50,
            offset: 0,
            group_id: None,
            access_key: None,
        }
    }
}

/// One page of sessions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SessionPage {
    pub items: Vec<SessionSummary>,
    pub total_count: u64,
}

/// A session as `compute_session_list` shows it (JSON-string fields already parsed).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SessionSummary {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub session_type: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    pub status: SessionStatus,
    #[serde(default)]
    pub status_info: Option<String>,
    #[serde(default)]
    pub status_changed: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub terminated_at: Option<String>,
    #[serde(default)]
    pub scaling_group: Option<String>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub service_ports: Vec<ServicePort>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub occupying_slots: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub requested_slots: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub mounts: Vec<Value>,
    /// What the cluster's idle checkers say (empty when it reports none).
    #[serde(default, deserialize_with = "crate::idle::report::deserialize")]
    pub idle_checks: crate::idle::IdleReport,
}

/// A service port as the kernel stores it (GraphQL `service_ports`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ServicePort {
    pub name: String,
    pub protocol: String,
    #[serde(default)]
    pub container_ports: Vec<u16>,
    #[serde(default)]
    pub host_ports: Vec<Option<u16>>,
    #[serde(default)]
    pub is_inference: bool,
    #[serde(default)]
    pub url_template: Option<String>,
}

#[cfg(test)]
mod real_manager_shapes {
    use super::*;

    #[test]
    fn session_info_as_the_real_manager_sends_it() {
        // GET /session/{id} from Backend.AI 26.9.6 (PENDING session).
        let body = json!({"age": 93, "domainName": "default", "image": "cr.backend.ai/stable/python:3.9-ubuntu20.04",
            "occupiedSlots": "{'cpu': Decimal('50.000000'), 'mem': Decimal('536870912.000000')}",
            "requestedSlots": "{'mem': Decimal('536870912.000000'), 'cpu': Decimal('50.000000')}",
            "resourceOpts": "{'main1': {'shmem': 67108864}}", "status": "PENDING", "statusInfo": "None",
            "statusData": null, "creationTime": "2026-11-25T12:06:22.155534+00:00", "terminationTime": null});
        let info: SessionInfo = serde_json::from_value(body).expect("parses");
        assert_eq!(info.status, SessionStatus::Pending);
        assert_eq!(info.status_info, None);
        assert!(info.occupied_slots.is_empty());
    }
}
