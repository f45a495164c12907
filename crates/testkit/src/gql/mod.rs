//! `POST /admin/gql`: the legacy GraphQL queries a client sends, answered from the session
//! table and the config. Only the requested fields are returned.

mod parse;
mod schema;

use axum::Extension;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::sessions::{Session, Status};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
pub struct GqlBody {
    query: String,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
}

pub async fn handle(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Option<Json<GqlBody>>,
) -> Json<Value> {
    let Some(Json(body)) = body else {
        return Json(json!({"data": null, "errors": [{"message":
            "the body must be {\"query\": \"...\", \"variables\": {...}}"}]}));
    };
    let vars = body.variables.unwrap_or_default();
    let fields = match parse::parse(&body.query, &vars) {
        Ok(f) => f,
        Err(e) => return Json(json!({"data": null, "errors": [{"message": e}]})),
    };
    // Validation comes before execution, as in graphene: one bad field voids the query.
    let mut errors = Vec::new();
    validate(&fields, schema::ROOT, &mut errors);
    if !errors.is_empty() {
        let errors: Vec<Value> = errors.into_iter().map(|m| json!({"message": m})).collect();
        return Json(json!({"data": null, "errors": errors}));
    }
    let mut data = Map::new();
    for f in &fields {
        let full = match f.name.as_str() {
            "compute_session_list" => session_list(&state, &caller, &f.args),
            "compute_session" => single_session(&state, &caller, &f.args),
            "images" => images(&state),
            "image" => image(&state, &f.args),
            "user" => user_json(&state, &caller),
            "keypair" => keypair_json(&state, &caller),
            _ => json!(schema::ROOT),
        };
        let ty = schema::field_type(schema::ROOT, &f.name).unwrap_or_default();
        data.insert(f.key().to_owned(), project(&full, &f.selection, ty));
    }
    // As graphene on the real manager (26.9.6): `errors` is present and null on success.
    Json(json!({"data": data, "errors": null}))
}

/// Checks every selected field against the schema; messages as graphql-core words them.
fn validate(sel: &[parse::Field], ty: &str, errors: &mut Vec<String>) {
    for f in sel {
        let msg = match schema::field_type(ty, &f.name) {
            None => Some(format!(
                "Cannot query field \"{}\" on type \"{ty}\".",
                f.name
            )),
            Some("") if !f.selection.is_empty() => Some(format!(
                "Field \"{}\" must not have a selection since its type has no subfields.",
                f.name
            )),
            Some("") => None,
            Some(obj) if f.selection.is_empty() => Some(format!(
                "Field \"{}\" of type \"{obj}\" must have a selection of subfields.",
                f.name
            )),
            Some(obj) => {
                validate(&f.selection, obj, errors);
                None
            }
        };
        if let Some(m) = msg
            && !errors.contains(&m)
        {
            errors.push(m);
        }
    }
}

/// Keeps only the selected fields (recursively); `ty` is the GraphQL type of `v`.
fn project(v: &Value, sel: &[parse::Field], ty: &str) -> Value {
    if sel.is_empty() {
        return v.clone();
    }
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| project(i, sel, ty)).collect()),
        Value::Object(obj) => {
            let mut out = Map::new();
            for f in sel {
                let value = if f.name == "__typename" {
                    json!(ty)
                } else {
                    let inner = obj.get(&f.name).unwrap_or(&Value::Null);
                    let inner_ty = schema::field_type(ty, &f.name).unwrap_or_default();
                    project(inner, &f.selection, inner_ty)
                };
                out.insert(f.key().to_owned(), value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// The session's one kernel as `ComputeContainer` (single-node sessions have one, "main1").
fn container_json(s: &Session, registry: &str) -> Value {
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    let placed = !matches!(s.status, Status::Pending | Status::Cancelled);
    json!({
        "id": s.kernel_id.to_string(), "kernel_id": s.kernel_id.to_string(),
        "idx": 1, "role": "COMPUTE", "hostname": "main1", "cluster_idx": 1, "local_rank": 0,
        "cluster_role": "main", "cluster_hostname": "main1",
        "session_id": s.id.to_string(), "image": s.image, "architecture": s.architecture,
        "registry": registry, "status": s.status.as_str(),
        "status_changed": s.status_changed.to_rfc3339(), "status_info": s.status_info,
        "status_data": "{}", "created_at": s.created_at.to_rfc3339(),
        "terminated_at": ts(s.terminated_at), "starts_at": null,
        "scheduled_at": s.status_history.get("SCHEDULED"), "abusing_report": null,
        "agent": if placed { json!("i-testkit") } else { Value::Null },
        "agent_addr": if placed { json!("tcp://127.0.0.1:6001") } else { Value::Null },
        "container_id": if placed { json!(format!("{:x}", s.kernel_id.as_u128())) } else { Value::Null },
        "resource_opts": "{}", "occupied_slots": s.occupied_json().to_string(),
        "live_stat": null, "last_stat": null, "preopen_ports": [],
    })
}

fn session_json(state: &AppState, s: &Session) -> Value {
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    let registry = state
        .config
        .find_image(&s.image)
        .map(|i| i.registry.clone())
        .unwrap_or_default();
    let mut v = json!({
        "id": s.id.to_string(), "session_id": s.id.to_string(),
        "main_kernel_id": s.kernel_id.to_string(), "name": s.name, "type": s.session_type.to_uppercase(),
        "image": s.image, "architecture": s.architecture, "tag": s.tag, "priority": 10,
        "cluster_mode": "single-node", "cluster_size": 1,
        "status": s.shown_status(), "status_info": s.status_info, "status_data": "{}",
        "status_changed": s.status_changed.to_rfc3339(),
        "created_at": s.created_at.to_rfc3339(), "terminated_at": ts(s.terminated_at),
        "starts_at": null, "scheduled_at": s.status_history.get("SCHEDULED"),
        "scaling_group": "default",
        "service_ports": match s.kernel_service_ports_json() { Value::Null => Value::Null, v => json!(v.to_string()) },
        "occupying_slots": s.occupied_json().to_string(),
        "occupied_slots": s.occupied_json().to_string(),
        "requested_slots": s.slots_json().to_string(),
        "resource_opts": "{}", "mounts": [], "vfolder_mounts": [],
        "domain_name": s.domain, "group_name": s.project, "group_id": s.project_id.to_string(),
        "user_email": s.user_email, "user_id": s.user_id.to_string(), "access_key": s.access_key,
        "startup_command": null, "result": "UNDEFINED",
        "agent_ids": if s.status == Status::Running { json!(["i-testkit"]) } else { json!([]) },
        "idle_checks": "{}", "dependencies": [],
    });
    // A second object keeps `json!` under its macro recursion limit.
    let more = json!({
        "registry": registry, "cluster_template": null,
        // The creator is the owner unless an admin created it on someone's behalf.
        "created_user_email": s.user_email, "created_user_id": s.user_id.to_string(),
        // Abuse reports come from agent watchers (e.g. crypto-mining detection); none here.
        "abusing_reports": [],
        "containers": [container_json(s, &registry)],
    });
    if let (Value::Object(v), Value::Object(more)) = (&mut v, more) {
        v.extend(more);
    }
    v
}

fn visible(caller: &Caller, s: &Session) -> bool {
    caller.user.is_admin() || s.access_key == caller.access_key
}

fn session_list(state: &AppState, caller: &Caller, args: &Map<String, Value>) -> Value {
    let statuses: Option<Vec<String>> = args.get("status").and_then(Value::as_str).map(|s| {
        s.split(',')
            .map(|x| x.trim().to_ascii_uppercase())
            .collect()
    });
    let ak = args.get("access_key").and_then(Value::as_str);
    let group = args.get("group_id").and_then(Value::as_str);
    let limit = args.get("limit").and_then(Value::as_u64).unwrap_or(100) as usize;
    let offset = args.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let w = state.world();
    let mut matched: Vec<&Session> = w
        .sessions
        .iter()
        .filter(|s| visible(caller, s))
        .filter(|s| {
            statuses
                .as_ref()
                .is_none_or(|st| st.iter().any(|x| x == s.shown_status()))
        })
        .filter(|s| ak.is_none_or(|a| s.access_key == a))
        .filter(|s| group.is_none_or(|g| s.project_id.to_string() == g))
        .collect();
    matched.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let total = matched.len();
    let items: Vec<Value> = matched
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|s| session_json(state, s))
        .collect();
    json!({"items": items, "total_count": total})
}

fn single_session(state: &AppState, caller: &Caller, args: &Map<String, Value>) -> Value {
    let id = args.get("id").and_then(Value::as_str).unwrap_or("");
    let w = state.world();
    w.sessions
        .iter()
        .find(|s| s.id.to_string() == id && visible(caller, s))
        .map(|s| session_json(state, s))
        .unwrap_or(Value::Null)
}

fn image_json(i: &crate::config::Image) -> Value {
    let ports: Vec<String> = i
        .service_ports
        .iter()
        .map(|p| format!("{}:{}:{}", p.name, p.protocol, p.port))
        .collect();
    let (namespace, base) = i.name.rsplit_once('/').unwrap_or(("", &i.name));
    json!({
        "id": i.id.to_string(), "name": i.name, "namespace": namespace, "base_image_name": base,
        "humanized_name": i.reference(), "tag": i.tag, "registry": i.registry,
        "architecture": i.architecture, "digest": format!("sha256:{:064x}", i.id.as_u128()),
        "installed": true, "is_local": false, "size_bytes": 1_073_741_824u64,
        "labels": [
            {"key": "ai.backend.service-ports", "value": ports.join(",")},
            {"key": "ai.backend.kernelspec", "value": "1"},
        ],
        "resource_limits": [
            {"key": "cpu", "min": "1", "max": null},
            {"key": "mem", "min": "1073741824", "max": null},
        ],
        "supported_accelerators": ["cuda"], "aliases": i.aliases,
    })
}

fn images(state: &AppState) -> Value {
    Value::Array(state.config.images.iter().map(image_json).collect())
}

fn image(state: &AppState, args: &Map<String, Value>) -> Value {
    let r = args.get("reference").and_then(Value::as_str).unwrap_or("");
    state
        .config
        .find_image(r)
        .map(image_json)
        .unwrap_or(Value::Null)
}

fn user_json(state: &AppState, caller: &Caller) -> Value {
    let _ = state;
    let u = &caller.user;
    json!({
        "id": u.uuid.to_string(), "uuid": u.uuid.to_string(), "email": u.email,
        "username": u.email.split('@').next().unwrap_or(""), "full_name": "",
        "description": "", "role": u.role, "domain_name": u.domain, "status": "active",
        "is_active": true, "need_password_change": false, "resource_policy": "default",
        "created_at": "2026-01-01T00:00:00+00:00", "allowed_client_ip": null,
        "totp_activated": u.otp.is_some(),
        "groups": [{"id": u.project_id.to_string(), "name": u.project}],
    })
}

fn keypair_json(state: &AppState, caller: &Caller) -> Value {
    let used = state
        .world()
        .sessions
        .iter()
        .filter(|s| s.access_key == caller.access_key && !s.status.is_terminal())
        .count();
    json!({
        "access_key": caller.access_key, "is_active": true, "is_admin": caller.user.is_admin(),
        "user_id": caller.user.email, "user": caller.user.uuid.to_string(),
        "resource_policy": "default", "rate_limit": 10000, "concurrency_used": used,
        "num_queries": 0, "last_used": null, "created_at": "2026-01-01T00:00:00+00:00",
    })
}
