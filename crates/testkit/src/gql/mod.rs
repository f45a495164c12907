//! `POST /admin/gql`: the legacy GraphQL queries a client sends, answered from the session
//! table and the config. Only the requested fields are returned.

mod parse;
mod schema;

use axum::Extension;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::sessions::{Session, Status};
use crate::state::{AppState, Caller, World};

#[derive(Debug, Deserialize)]
pub struct GqlBody {
    query: String,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
}

/// A GraphQL response: `data` keeps the query's field order (see [`Out`]).
#[derive(Debug, Serialize)]
pub struct Reply {
    data: Option<Out>,
    errors: Option<Vec<Value>>,
}

impl Reply {
    fn errors(messages: impl IntoIterator<Item = String>) -> Json<Reply> {
        let errors = messages
            .into_iter()
            .map(|m| json!({"message": m}))
            .collect();
        Json(Reply {
            data: None,
            errors: Some(errors),
        })
    }
}

/// A projected value whose objects keep the order the query selected their fields in.
/// graphene answers in that order, and the official CLI relies on it: `backend.ai ps`
/// zips its column headers with `item.values()`, so serde_json's sorted maps would put
/// every value under the wrong header.
#[derive(Debug)]
pub enum Out {
    Leaf(Value),
    List(Vec<Out>),
    Object(Vec<(String, Out)>),
}

impl Serialize for Out {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Out::Leaf(v) => v.serialize(ser),
            Out::List(items) => {
                let mut seq = ser.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Out::Object(fields) => {
                let mut map = ser.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

pub async fn handle(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Option<Json<GqlBody>>,
) -> Json<Reply> {
    let Some(Json(body)) = body else {
        return Reply::errors([
            "the body must be {\"query\": \"...\", \"variables\": {...}}".to_owned(),
        ]);
    };
    let vars = body.variables.unwrap_or_default();
    let fields = match parse::parse(&body.query, &vars) {
        Ok(f) => f,
        Err(e) => return Reply::errors([e]),
    };
    // Validation comes before execution, as in graphene: one bad field voids the query.
    let mut errors = Vec::new();
    validate(&fields, schema::ROOT, &mut errors);
    if !errors.is_empty() {
        return Reply::errors(errors);
    }
    let mut data = Vec::new();
    for f in &fields {
        let full = match f.name.as_str() {
            "compute_session_list" => session_list(&state, &caller, &f.args),
            "compute_session" => single_session(&state, &caller, &f.args),
            "images" => images(&state),
            "image" => image(&state, &f.args),
            "user" => user_json(&state, &caller),
            "keypair" => keypair_json(&state, &caller, &f.args),
            _ => json!(schema::ROOT),
        };
        let ty = schema::field_type(schema::ROOT, &f.name).unwrap_or_default();
        data.push((f.key().to_owned(), project(&full, &f.selection, ty)));
    }
    // As graphene on the real manager (26.9.6): `errors` is present and null on success.
    Json(Reply {
        data: Some(Out::Object(data)),
        errors: None,
    })
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

/// Keeps only the selected fields (recursively), in the order selected; `ty` is the GraphQL
/// type of `v`.
fn project(v: &Value, sel: &[parse::Field], ty: &str) -> Out {
    if sel.is_empty() {
        return Out::Leaf(v.clone());
    }
    match v {
        Value::Array(items) => Out::List(items.iter().map(|i| project(i, sel, ty)).collect()),
        Value::Object(obj) => {
            let mut out: Vec<(String, Out)> = Vec::with_capacity(sel.len());
            for f in sel {
                let value = if f.name == "__typename" {
                    Out::Leaf(json!(ty))
                } else {
                    let inner = obj.get(&f.name).unwrap_or(&Value::Null);
                    let inner_ty = schema::field_type(ty, &f.name).unwrap_or_default();
                    project(inner, &f.selection, inner_ty)
                };
                // A key selected twice is answered once, as graphql-core merges the fields.
                if let Some(slot) = out.iter_mut().find(|(k, _)| k == f.key()) {
                    slot.1 = value;
                } else {
                    out.push((f.key().to_owned(), value));
                }
            }
            Out::Object(out)
        }
        other => Out::Leaf(other.clone()),
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

fn session_json(state: &AppState, w: &World, s: &Session) -> Value {
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
        "idle_checks": crate::idle::report(w, s, crate::idle::idle_now(w)).to_string(), "dependencies": [],
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
    crate::idle::reclaim_due(state);
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
        .map(|s| session_json(state, &w, s))
        .collect();
    json!({"items": items, "total_count": total})
}

fn single_session(state: &AppState, caller: &Caller, args: &Map<String, Value>) -> Value {
    let id = args.get("id").and_then(Value::as_str).unwrap_or("");
    crate::idle::reclaim_due(state);
    let w = state.world();
    w.sessions
        .iter()
        .find(|s| s.id.to_string() == id && visible(caller, s))
        .map(|s| session_json(state, &w, s))
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
        "status_info": null, "is_active": true, "need_password_change": false,
        "resource_policy": "default", "created_at": "2026-01-01T00:00:00+00:00",
        "modified_at": "2026-01-01T00:00:00+00:00", "allowed_client_ip": null,
        "totp_activated": u.otp.is_some(), "totp_activated_at": null,
        "sudo_session_enabled": false,
        "main_access_key": u.keypairs.first().map(|k| k.access_key.clone()),
        "container_uid": null, "container_main_gid": null, "container_gids": null,
        "groups": [{"id": u.project_id.to_string(), "name": u.project}],
    })
}

/// `keypair(access_key)`: the caller's own keypair, or (for an admin) the one named.
fn keypair_json(state: &AppState, caller: &Caller, args: &Map<String, Value>) -> Value {
    let wanted = args
        .get("access_key")
        .and_then(Value::as_str)
        .unwrap_or(&caller.access_key);
    if wanted != caller.access_key && !caller.user.is_admin() {
        return Value::Null;
    }
    let Some((user, kp)) = state.config.find_keypair(wanted) else {
        return Value::Null;
    };
    let used = state
        .world()
        .sessions
        .iter()
        .filter(|s| s.access_key == kp.access_key && !s.status.is_terminal())
        .count();
    json!({
        "id": kp.access_key, "access_key": kp.access_key,
        // The real manager returns the secret too: the caller signed with it (or is an admin).
        "secret_key": kp.secret_key,
        "is_active": true, "is_admin": user.is_admin(),
        "user_id": user.email, "full_name": "", "user": user.uuid.to_string(),
        "user_info": {"email": user.email, "full_name": ""},
        "projects": [user.project], "ssh_public_key": null,
        "resource_policy": "default", "rate_limit": 10000, "concurrency_used": used,
        "concurrency_limit": 0, "num_queries": 0, "rolling_count": 0, "last_used": null,
        "created_at": "2026-01-01T00:00:00+00:00",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(query: &str, full: &Value, ty: &str) -> String {
        let fields = parse::parse(query, &Map::new()).expect("parses");
        let mut errors = Vec::new();
        validate(&fields[0].selection, ty, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        serde_json::to_string(&project(full, &fields[0].selection, ty)).expect("serializes")
    }

    #[test]
    fn answers_fields_in_the_order_the_query_selected_them() {
        // serde_json's own maps would sort these keys; the official CLI reads values by position.
        let full =
            json!({"access_key": "AK", "name": "s1", "status": "RUNNING", "type": "INTERACTIVE"});
        let got = answer(
            "{ x { status name type access_key } }",
            &full,
            "ComputeSession",
        );
        assert_eq!(
            got,
            r#"{"status":"RUNNING","name":"s1","type":"INTERACTIVE","access_key":"AK"}"#
        );
        let got = answer("{ x { n: name n: name status } }", &full, "ComputeSession");
        assert_eq!(got, r#"{"n":"s1","status":"RUNNING"}"#);
    }

    #[test]
    fn knows_the_keypair_fields_the_official_ps_asks_for_first() {
        // `KeyPair.info()`'s default selection in backend.ai-client 26.9.6.
        let full = json!({"user_id": "a@b", "access_key": "AK", "secret_key": "SK",
            "is_active": true, "is_admin": false});
        let got = answer(
            "{ keypair { user_id access_key secret_key is_active is_admin } }",
            &full,
            "KeyPair",
        );
        assert_eq!(
            got,
            r#"{"user_id":"a@b","access_key":"AK","secret_key":"SK","is_active":true,"is_admin":false}"#
        );
    }
}
