//! Presets, resource groups, folders, slot types, roles and `/auth/authorize`.

use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::problem::{ApiResult, Problem};
use crate::state::{AppState, Caller};

struct Preset {
    name: &'static str,
    cpu: f64,
    mem: u64,
    shmem: u64,
    /// Amounts as JSON numbers instead of the strings the manager sends: clients must read
    /// both, and must send either on to the create call the same way.
    numbers: bool,
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "cpu01-small",
        cpu: 1.0,
        mem: 2 << 30,
        shmem: 1 << 30,
        numbers: false,
    },
    Preset {
        name: "cpu02-medium",
        cpu: 2.0,
        mem: 4 << 30,
        shmem: 1 << 30,
        numbers: false,
    },
    Preset {
        name: "cpu04-large",
        cpu: 4.0,
        mem: 8 << 30,
        shmem: 2 << 30,
        numbers: false,
    },
    Preset {
        name: "cpu16-huge",
        cpu: 16.0,
        mem: 64 << 30,
        shmem: 4 << 30,
        numbers: false,
    },
    Preset {
        name: "cpu02-numbers",
        cpu: 2.0,
        mem: 4 << 30,
        shmem: 1 << 30,
        numbers: true,
    },
];

fn slots(cpu: f64, mem: u64) -> Value {
    json!({"cpu": format!("{cpu}"), "mem": mem.to_string()})
}

fn preset_json(p: &Preset) -> Value {
    if p.numbers {
        return json!({"name": p.name, "resource_slots": {"cpu": p.cpu, "mem": p.mem},
                      "shared_memory": p.shmem});
    }
    json!({"name": p.name, "resource_slots": slots(p.cpu, p.mem),
           "shared_memory": p.shmem.to_string()})
}

pub async fn presets() -> Json<Value> {
    Json(json!({"presets": PRESETS.iter().map(preset_json).collect::<Vec<_>>()}))
}

/// Slots in use by live, allocated sessions (all owners, or one access key).
fn using(state: &AppState, access_key: Option<&str>) -> (f64, u64) {
    state
        .world()
        .sessions
        .iter()
        .filter(|s| {
            !s.status.is_terminal()
                && s.occupied_json().as_object().is_some_and(|o| !o.is_empty())
                && access_key.is_none_or(|ak| s.access_key == ak)
        })
        .fold((0.0, 0), |(c, m), s| (c + s.cpu, m + s.mem))
}

#[derive(Debug, Deserialize)]
pub struct CheckPresetsBody {
    #[serde(default)]
    scaling_group: Option<String>,
    #[serde(default)]
    group: Option<String>,
}

pub async fn check_presets(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Option<Json<CheckPresetsBody>>,
) -> ApiResult<Json<Value>> {
    let body = body.map(|Json(b)| b);
    let group = body.as_ref().and_then(|b| b.group.clone());
    if let Some(g) = &group
        && *g != caller.user.project
        && *g != caller.user.project_id.to_string()
    {
        return Err(Problem::invalid_api_params(format!(
            "Unknown project (group) {g:?}"
        )));
    }
    if let Some(sg) = body.as_ref().and_then(|b| b.scaling_group.clone())
        && sg != "default"
    {
        return Err(Problem::invalid_api_params(format!(
            "Unknown resource group {sg:?}"
        )));
    }
    let cap = state.config.capacity;
    let (kc, km) = using(&state, Some(&caller.access_key));
    let (ac, am) = using(&state, None);
    let remaining_c = (cap.cpu - ac).max(0.0);
    let remaining_m = cap.mem.saturating_sub(am);
    let infinite = json!({"cpu": "Infinity", "mem": "Infinity"});
    let presets: Vec<Value> = PRESETS
        .iter()
        .map(|p| {
            let mut v = preset_json(p);
            v["allocatable"] = json!(p.cpu <= remaining_c && p.mem <= remaining_m);
            v
        })
        .collect();
    let remaining = slots(remaining_c, remaining_m);
    Ok(Json(json!({
        "presets": presets,
        "keypair_limits": infinite,
        "keypair_using": slots(kc, km),
        "keypair_remaining": infinite,
        "group_limits": infinite,
        "group_using": slots(kc, km),
        "group_remaining": infinite,
        "scaling_group_remaining": remaining,
        "scaling_groups": {"default": {"using": slots(ac, am), "remaining": remaining}},
    })))
}

#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    group: Option<String>,
}

pub async fn scaling_groups(
    Extension(caller): Extension<Caller>,
    Query(q): Query<GroupQuery>,
) -> ApiResult<Json<Value>> {
    match q.group {
        Some(g) if g == caller.user.project || g == caller.user.project_id.to_string() => {
            Ok(Json(json!({"scaling_groups": [{"name": "default"}]})))
        }
        Some(g) => Err(Problem::invalid_api_params(format!(
            "Unknown project (group) {g:?}"
        ))),
        None => Err(Problem::invalid_api_params("group: this field is required")),
    }
}

pub async fn wsproxy_version() -> Json<Value> {
    Json(json!({"wsproxy_version": "v1"}))
}

pub async fn folders(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Json<Value> {
    let u = &caller.user;
    let list: Vec<Value> = state
        .config
        .folders
        .iter()
        .map(|f| {
            let is_user = f.ownership_type == "user";
            json!({
                "name": f.name, "id": f.id.simple().to_string(),
                "quota_scope_id": if is_user { format!("user:{}", u.uuid) } else { format!("project:{}", u.project_id) },
                "host": "local:volume1", "status": "ready", "usage_mode": "general",
                "created_at": "2026-01-01T00:00:00+00:00", "is_owner": is_user,
                "permission": if is_user { "rw" } else { "ro" },
                "user": if is_user { json!(u.uuid.to_string()) } else { Value::Null },
                "group": if is_user { Value::Null } else { json!(u.project_id.to_string()) },
                "creator": u.email, "user_email": if is_user { json!(u.email) } else { Value::Null },
                "group_name": if is_user { Value::Null } else { json!(u.project) },
                "ownership_type": f.ownership_type, "type": f.ownership_type,
                "cloneable": false, "max_files": 0, "max_size": null, "cur_size": 0,
            })
        })
        .collect();
    Json(Value::Array(list))
}

pub async fn resource_slots() -> Json<Value> {
    Json(json!({"cpu": "count", "mem": "bytes", "cuda.shares": "count", "cuda.device": "count"}))
}

pub async fn role(Extension(caller): Extension<Caller>) -> Json<Value> {
    let global = if caller.user.role == "superadmin" {
        "superadmin"
    } else {
        "user"
    };
    let domain = if caller.user.is_admin() {
        "admin"
    } else {
        "user"
    };
    Json(json!({"global_role": global, "domain_role": domain, "group_role": "user"}))
}

#[derive(Debug, Deserialize)]
pub struct AuthorizeBody {
    #[serde(default)]
    r#type: Option<String>,
    username: String,
    password: String,
    #[serde(default)]
    otp: Option<String>,
}

/// `POST /auth/authorize` (anonymous): a keypair from email and password.
pub async fn authorize(
    State(state): State<AppState>,
    body: Option<Json<AuthorizeBody>>,
) -> ApiResult<Json<Value>> {
    let Some(Json(b)) = body else {
        return Err(Problem::invalid_api_params(
            "expected {\"type\":\"keypair\",\"domain\",\"username\",\"password\"}",
        ));
    };
    if b.r#type.as_deref().is_some_and(|t| t != "keypair") {
        return Err(Problem::invalid_api_params("type must be \"keypair\""));
    }
    let user = state
        .config
        .find_user(&b.username)
        .filter(|u| u.password == b.password)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "auth-failed",
                "Credential/signature mismatch.",
            )
            .msg("User credential mismatch.")
        })?;
    if let Some(code) = &user.otp
        && b.otp.as_deref() != Some(code.as_str())
    {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "require-totp-authentication",
            "Two-factor authentication required.",
        ));
    }
    let kp = user
        .keypairs
        .first()
        .ok_or_else(|| Problem::invalid_api_params("this user has no keypair"))?;
    Ok(Json(json!({"data": {
        "access_key": kp.access_key, "secret_key": kp.secret_key,
        "role": user.role, "status": "active", "user_id": user.uuid.to_string(),
    }})))
}
