//! REST routes for sessions: create, info, destroy, and the app list.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ServicePort, parse_binary_size, parse_count};
use crate::problem::{ApiResult, Problem};
use crate::sessions::{
    Session, Status, destroy, find_live, find_not_dead, spawn_driver, valid_session_name,
};
use crate::state::{AppState, Caller};

/// The first of `names` present in `body`.
fn field<'a>(body: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| body.get(*n).filter(|v| !v.is_null()))
}

fn str_field(body: &Value, names: &[&str]) -> Option<String> {
    field(body, names)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn bool_field(body: &Value, names: &[&str], default: bool) -> ApiResult<bool> {
    match field(body, names) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Problem::invalid_api_params(format!(
            "{} must be a boolean, got {other}",
            names[0]
        ))),
    }
}

/// Intrinsic apps every kernel gets from the agent.
fn intrinsic_ports() -> [ServicePort; 2] {
    [
        ServicePort::new("sshd", "tcp", 2200),
        ServicePort::new("ttyd", "http", 7681),
    ]
}

/// The session's info as `created` responses carry it.
fn create_response(s: &Session, created: bool) -> Value {
    let ports = if s.status == Status::Running {
        s.apps_json()
    } else {
        json!([])
    };
    let mut body = json!({
        "sessionId": s.id.to_string(),
        "sessionName": s.name,
        "status": s.status.as_str(),
        "servicePorts": ports,
        "created": created,
    });
    if !created {
        // The manager still sends the deprecated snake_case key for reused sessions.
        body["service_ports"] = body["servicePorts"].clone();
    }
    body
}

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Option<Json<Value>>,
) -> ApiResult<Response> {
    let Some(Json(body)) = body else {
        return Err(Problem::invalid_api_params(
            "the request body must be a JSON object",
        ));
    };
    if !body.is_object() {
        return Err(Problem::invalid_api_params(
            "the request body must be a JSON object",
        ));
    }
    let name = str_field(&body, &["name", "session_name", "clientSessionToken"])
        .ok_or_else(|| Problem::invalid_api_params("name: this field is required"))?;
    if !valid_session_name(&name) {
        return Err(Problem::invalid_api_params(format!(
            "name: {name:?} does not match ^(?=.{{4,64}}$)\\w[\\w.-]*\\w$"
        )));
    }
    let image_ref = str_field(&body, &["image", "lang"])
        .ok_or_else(|| Problem::invalid_api_params("image: this field is required"))?;
    let enqueue_only = bool_field(&body, &["enqueueOnly", "enqueue_only"], false)?;
    let reuse = bool_field(&body, &["reuseIfExists", "reuse"], true)?;
    let max_wait = field(&body, &["maxWaitSeconds", "max_wait_seconds"])
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let session_type =
        str_field(&body, &["type", "sessionType", "session_type"]).unwrap_or("interactive".into());
    let group = str_field(&body, &["group", "groupName", "group_name"]).unwrap_or("default".into());
    let config = field(&body, &["config"]).cloned().unwrap_or(json!({}));

    let Some(image) = state.config.find_image(&image_ref).cloned() else {
        return Err(
            Problem::new(StatusCode::NOT_FOUND, "object-not-found", "Unknown image")
                .code("image_read_not-found")
                .msg(format!("No such environment image: {image_ref}")),
        );
    };
    if group != caller.user.project {
        return Err(Problem::invalid_api_params(format!(
            "Invalid group (project) name: {group}"
        )));
    }
    let mut requested: BTreeMap<String, Value> = config
        .get("resources")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let cpu = match requested.get("cpu") {
        Some(v) => parse_count(v)
            .ok_or_else(|| Problem::invalid_api_params(format!("resources.cpu: bad value {v}")))?,
        None => 1.0,
    };
    let mem = match requested.get("mem") {
        Some(v) => parse_binary_size(v)
            .ok_or_else(|| Problem::invalid_api_params(format!("resources.mem: bad value {v}")))?,
        None => 1 << 30,
    };
    requested.insert("cpu".into(), json!(cpu));
    requested.insert("mem".into(), json!(mem));

    let now = state.now();
    let session = {
        let mut w = state.world();
        if let Some(existing) =
            find_live(&w.sessions, &name, Some(&caller.access_key)).filter(|s| s.name == name)
        {
            if reuse && state.config.find_image(&existing.image).map(|i| i.id) == Some(image.id) {
                return Ok(
                    (StatusCode::CREATED, Json(create_response(existing, false))).into_response(),
                );
            }
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "session-already-exists",
                "The session already exists but you requested not to reuse existing one.",
            )
            .code("session_create_already-exists")
            .data(json!({"existingSessionId": existing.id.to_string()})));
        }
        let live = w
            .sessions
            .iter()
            .filter(|s| s.access_key == caller.access_key && !s.status.is_terminal())
            .count();
        if live >= state.config.concurrency_limit {
            let status = if state.config.legacy_2409 {
                StatusCode::PRECONDITION_FAILED
            } else {
                StatusCode::BAD_REQUEST
            };
            return Err(Problem::new(
                status,
                "quota-exceeded",
                "You have reached your resource limit.",
            )
            .msg(format!(
                "You cannot run more than {} concurrent sessions",
                state.config.concurrency_limit
            )));
        }
        let mut ports = image.service_ports.clone();
        ports.extend(intrinsic_ports());
        let s = Session {
            id: uuid::Uuid::new_v4(),
            kernel_id: uuid::Uuid::new_v4(),
            name: name.clone(),
            access_key: caller.access_key.clone(),
            user_email: caller.user.email.clone(),
            user_id: caller.user.uuid,
            domain: caller.user.domain.clone(),
            project: caller.user.project.clone(),
            project_id: caller.user.project_id,
            image: image.reference(),
            architecture: str_field(&body, &["architecture", "arch"])
                .unwrap_or(image.architecture.clone()),
            session_type,
            tag: str_field(&body, &["tag"]),
            status: Status::Pending,
            status_info: None,
            status_changed: now,
            created_at: now,
            terminated_at: None,
            requested,
            create_config: config.clone(),
            create_body: body.clone(),
            cpu,
            mem,
            environ: config.get("environ").cloned().unwrap_or(Value::Null),
            service_ports: ports,
            hold: w.hold_new,
            status_history: BTreeMap::from([("PENDING".to_owned(), now.to_rfc3339())]),
            reported_status: None,
        };
        let _ = state
            .events
            .send(crate::events::SessionEvent::new("session_enqueued", &s, ""));
        w.sessions.push(s.clone());
        s
    };
    spawn_driver(state.clone(), session.id);

    if enqueue_only {
        return Ok((StatusCode::CREATED, Json(create_response(&session, true))).into_response());
    }
    let deadline =
        (max_wait > 0).then(|| tokio::time::Instant::now() + Duration::from_secs(max_wait));
    loop {
        let current = state
            .world()
            .sessions
            .iter()
            .find(|s| s.id == session.id)
            .cloned();
        let Some(current) = current else {
            return Err(Problem::session_not_found());
        };
        if current.status == Status::Running || current.status.is_terminal() {
            return Ok((StatusCode::CREATED, Json(create_response(&current, true))).into_response());
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            let mut body = create_response(&current, true);
            body["status"] = json!("TIMEOUT");
            return Ok((StatusCode::CREATED, Json(body)).into_response());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(Debug, Deserialize)]
pub struct OwnerQuery {
    owner_access_key: Option<String>,
    forced: Option<String>,
}

/// The owner whose sessions a caller may address.
fn owner(caller: &Caller, q: &OwnerQuery) -> String {
    match &q.owner_access_key {
        Some(ak) if caller.user.is_admin() => ak.clone(),
        _ => caller.access_key.clone(),
    }
}

/// For the read-only routes (info, status history), which also find ERROR sessions.
fn lookup_not_dead(state: &AppState, name_or_id: &str, owner: &str) -> ApiResult<Session> {
    let w = state.world();
    find_not_dead(&w.sessions, name_or_id, owner)
        .cloned()
        .ok_or_else(Problem::session_not_found)
}

pub fn lookup(state: &AppState, name_or_id: &str, owner: &str) -> ApiResult<Session> {
    let w = state.world();
    find_live(&w.sessions, name_or_id, Some(owner))
        .cloned()
        .ok_or_else(Problem::session_not_found)
}

pub async fn info(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(q): Query<OwnerQuery>,
) -> ApiResult<Json<Value>> {
    let s = lookup_not_dead(&state, &name, &owner(&caller, &q))?;
    let age = (state.now() - s.created_at).num_milliseconds().max(0);
    let (registry, tag) = {
        let img = state.config.find_image(&s.image);
        (
            img.map(|i| i.registry.clone()).unwrap_or_default(),
            img.map(|i| i.tag.clone()).unwrap_or_default(),
        )
    };
    Ok(Json(json!({
        "domainName": s.domain,
        "groupId": s.project_id.to_string(),
        "userId": s.user_id.to_string(),
        "lang": s.image,
        "image": s.image,
        "architecture": s.architecture,
        "registry": registry,
        "tag": tag,
        "containerId": format!("{:x}", s.kernel_id.as_u128()),
        // The real manager (26.9.6) sends these as Python reprs, not JSON:
        // "{'cpu': Decimal('1.000000'), 'mem': Decimal('1073741824.000000')}".
        "occupiedSlots": py_slots(&s.occupied_json()),
        "occupyingSlots": py_slots(&s.occupied_json()),
        "requestedSlots": py_slots(&s.slots_json()),
        "occupiedShares": "{}",
        "environ": s.environ.to_string(),
        "resourceOpts": "{}",
        "status": s.shown_status(),
        // str(None) on the real manager when there is no status info.
        "statusInfo": s.status_info.clone().unwrap_or_else(|| "None".into()),
        "statusData": {},
        "age": age,
        "creationTime": s.created_at.to_rfc3339(),
        "terminationTime": s.terminated_at.map(|t| t.to_rfc3339()),
        "numQueriesExecuted": 0,
        "lastStat": {},
        "idleChecks": {},
    })))
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(q): Query<OwnerQuery>,
) -> ApiResult<Json<Value>> {
    let _forced = q.forced.as_deref() == Some("true");
    let s = lookup(&state, &name, &owner(&caller, &q))?;
    destroy(&state, &s)?;
    Ok(Json(json!({"stats": {}})))
}

pub async fn apps(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let s = lookup(&state, &name, &caller.access_key)?;
    Ok(Json(s.apps_json()))
}

/// `PATCH /session/{id}` (restart) is not implemented in the 26.x manager either.
pub async fn restart() -> Problem {
    Problem::new(
        StatusCode::NOT_IMPLEMENTED,
        "not-implemented",
        "This operation is not implemented.",
    )
}

pub async fn status_history(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let s = lookup_not_dead(&state, &name, &caller.access_key)?;
    Ok(Json(json!({"result": s.status_history})))
}

/// A slot map as Python's `repr` of a dict of `Decimal`s (what the real `GET /session/{id}`
/// sends in its `*Slots` fields).
fn py_slots(v: &Value) -> String {
    let items: Vec<String> = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let n = match v {
                        Value::String(s) => s.parse::<f64>().unwrap_or_default(),
                        other => other.as_f64().unwrap_or_default(),
                    };
                    format!("'{k}': Decimal('{n:.6}')")
                })
                .collect()
        })
        .unwrap_or_default();
    format!("{{{}}}", items.join(", "))
}
