//! Fault injection and inspection: the [`Control`] handle, the request recorder and fault
//! middleware, and the same controls over HTTP under `/__testkit` (behind the control token,
//! see [`crate::control_auth`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::Schedule;
use crate::control_auth::require_control_token;
use crate::problem::Problem;
use crate::sessions::{self, Status, find_any};
use crate::state::{AppState, ViaWebserver};

/// What a matching request gets instead of (or before) its real answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// A problem+json error.
    Status {
        status: u16,
        type_slug: String,
        title: String,
        #[serde(default)]
        error_code: Option<String>,
    },
    /// 429 with the manager's rate-limit headers.
    RateLimit,
    /// 200 with an HTML page, as a captive portal or a misrouted proxy answers.
    Html,
    /// 200, `application/json`, but `len` random non-JSON bytes.
    Garbage { len: usize },
    /// The real answer with its body cut in half.
    Truncated,
    /// The real answer after a delay.
    Delay { ms: u64 },
}

/// Applies `kind` to the next `count` requests whose manager path starts with `path_prefix`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FaultRule {
    pub path_prefix: String,
    /// Uppercase method; `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default = "one")]
    pub count: u32,
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

impl FaultRule {
    pub fn new(path_prefix: &str, kind: FaultKind) -> Self {
        FaultRule {
            path_prefix: path_prefix.into(),
            method: None,
            count: 1,
            kind,
        }
    }
    pub fn method(mut self, m: &str) -> Self {
        self.method = Some(m.to_ascii_uppercase());
        self
    }
    pub fn times(mut self, n: u32) -> Self {
        self.count = n;
        self
    }
}

/// A request as the manager routes saw it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Manager path and query (without `/func`).
    pub path: String,
    /// `manager` or `webserver`.
    pub via: String,
    pub headers: BTreeMap<String, String>,
}

const RECORDED_HEADERS: &[&str] = &[
    "authorization",
    "date",
    "x-backendai-date",
    "x-backendai-version",
    "content-type",
    "host",
    "user-agent",
    "accept",
    "upgrade",
    "x-backendai-encoded",
];

/// Summary of one session for the control API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: uuid::Uuid,
    pub name: String,
    pub status: Status,
    pub status_info: Option<String>,
    pub access_key: String,
}

/// A cheap handle to steer a running testkit.
#[derive(Debug, Clone)]
pub struct Control {
    pub(crate) state: AppState,
}

impl Control {
    pub fn set_clock_offset(&self, secs: i64) {
        self.state.set_clock_offset(secs);
    }
    pub fn fail_next(&self, rule: FaultRule) {
        self.state.world().faults.push(rule);
    }
    pub fn clear_faults(&self) {
        self.state.world().faults.clear();
    }
    pub fn set_schedule(&self, schedule: Schedule) {
        self.state.world().schedule = schedule;
        self.state.notify_changed();
    }
    fn session_id(&self, name_or_id: &str) -> Option<uuid::Uuid> {
        find_any(&self.state.world().sessions, name_or_id).map(|s| s.id)
    }
    /// Keeps the session in `status` once it gets there. False if the session is unknown.
    pub fn hold(&self, name_or_id: &str, status: Status) -> bool {
        let Some(id) = self.session_id(name_or_id) else {
            return false;
        };
        if let Some(s) = self.state.world().sessions.iter_mut().find(|s| s.id == id) {
            s.hold = Some(status);
        }
        true
    }
    pub fn release(&self, name_or_id: &str) -> bool {
        let Some(id) = self.session_id(name_or_id) else {
            return false;
        };
        if let Some(s) = self.state.world().sessions.iter_mut().find(|s| s.id == id) {
            s.hold = None;
        }
        self.state.notify_changed();
        true
    }
    /// Sessions created from now on are held at `status` (None: no hold).
    pub fn hold_new_sessions_at(&self, status: Option<Status>) {
        self.state.world().hold_new = status;
    }
    pub fn fail_session(&self, name_or_id: &str, status_info: &str) -> bool {
        let Some(id) = self.session_id(name_or_id) else {
            return false;
        };
        sessions::fail(&self.state, id, status_info);
        true
    }
    pub fn terminate_remotely(&self, name_or_id: &str) -> bool {
        let Some(id) = self.session_id(name_or_id) else {
            return false;
        };
        sessions::terminate_remotely(&self.state, id);
        true
    }
    /// Make the server report `status` for this session (any string: a 26.x status such as
    /// `PREEMPTED`, or one no client knows); `None` reports its real status again. The session
    /// keeps behaving as its real status. False if the session is unknown.
    pub fn report_status(&self, name_or_id: &str, status: Option<&str>) -> bool {
        let Some(id) = self.session_id(name_or_id) else {
            return false;
        };
        if let Some(s) = self.state.world().sessions.iter_mut().find(|s| s.id == id) {
            s.reported_status = status.map(str::to_owned);
        }
        self.state.notify_changed();
        true
    }
    /// Add `count` copies of a session (same owner, status and image; names
    /// `<name>-<i>`, each a second older than the last), e.g. to fill several list pages.
    /// Returns the new ids; empty if the session is unknown.
    pub fn add_copies(&self, name_or_id: &str, count: usize) -> Vec<uuid::Uuid> {
        let Some(id) = self.session_id(name_or_id) else {
            return Vec::new();
        };
        let mut w = self.state.world();
        let Some(template) = w.sessions.iter().find(|s| s.id == id).cloned() else {
            return Vec::new();
        };
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            let mut s = template.clone();
            s.id = uuid::Uuid::new_v4();
            s.kernel_id = uuid::Uuid::new_v4();
            s.name = format!("{}-{i}", template.name);
            s.created_at = template.created_at
                - chrono::Duration::seconds(i64::try_from(i).unwrap_or(i64::MAX) + 1);
            ids.push(s.id);
            w.sessions.push(s);
        }
        drop(w);
        self.state.notify_changed();
        ids
    }
    pub fn sse_break_after(&self, n: Option<usize>) {
        self.state.world().sse_break_after = n;
    }
    pub fn tcpproxy_reject_first(&self, n: u32) {
        self.state.world().reject_first = n;
    }
    pub fn tcpproxy_drop_after_bytes(&self, k: Option<u64>) {
        self.state.world().drop_after_bytes = k;
    }
    pub fn set_app_target(&self, app: &str, addr: SocketAddr) {
        self.state.world().app_targets.insert(app.into(), addr);
    }
    pub fn session_status(&self, name_or_id: &str) -> Option<Status> {
        find_any(&self.state.world().sessions, name_or_id).map(|s| s.status)
    }
    pub fn sessions(&self) -> Vec<SessionSummary> {
        self.state
            .world()
            .sessions
            .iter()
            .map(|s| SessionSummary {
                id: s.id,
                name: s.name.clone(),
                status: s.status,
                status_info: s.status_info.clone(),
                access_key: s.access_key.clone(),
            })
            .collect()
    }
    /// The `config` object of the create call that made the session named `name` (the latest
    /// one when the name was used again).
    pub fn create_config(&self, name: &str) -> Option<Value> {
        self.state
            .world()
            .sessions
            .iter()
            .rev()
            .find(|s| s.name == name)
            .map(|s| s.create_config.clone())
    }
    /// The create bodies of every session named `name`, oldest first (a name is free again
    /// once its session ended, so a relaunch adds one).
    pub fn create_bodies(&self, name: &str) -> Vec<Value> {
        self.state
            .world()
            .sessions
            .iter()
            .filter(|s| s.name == name)
            .map(|s| s.create_body.clone())
            .collect()
    }
    /// Run these idle checkers (the default runs none: sessions report `{}`).
    pub fn set_idle_policy(&self, policy: crate::idle::IdlePolicy) {
        self.state.world().idle_policy = policy;
        self.state.notify_changed();
    }
    /// Move the idle checkers' clock `secs` ahead of the real one (only theirs: requests are
    /// still signed and checked against the real time).
    pub fn set_idle_clock(&self, secs: i64) {
        self.state.world().idle_clock_secs = secs;
        self.state.notify_changed();
    }
    /// The utilization averages the agent reports for a session (`cpu_util`, `cuda_util`, ...).
    /// False if the session is unknown.
    pub fn set_utilization(&self, name_or_id: &str, values: BTreeMap<String, f64>) -> bool {
        let Some(id) = self.session_id(name_or_id) else {
            return false;
        };
        crate::idle::set_utilization(&mut self.state.world(), id, values);
        true
    }
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.world().requests.clone()
    }
    pub fn clear_requests(&self) {
        self.state.world().requests.clear();
    }
}

/// Outermost layer of the manager routes: records the request, then applies a fault.
pub async fn record_and_fault(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match record(&state, &req) {
        None => next.run(req).await,
        Some(kind) => apply_fault(kind, req, next).await,
    }
}

/// Records the request and returns the fault to apply to it, if a rule matches.
pub(crate) fn record(state: &AppState, req: &Request) -> Option<FaultKind> {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let method = req.method().as_str().to_owned();
    let via = if req.extensions().get::<ViaWebserver>().is_some() {
        "webserver"
    } else {
        "manager"
    };
    let headers = RECORDED_HEADERS
        .iter()
        .filter_map(|n| {
            req.headers()
                .get(*n)
                .and_then(|v| v.to_str().ok())
                .map(|v| (n.to_string(), v.to_owned()))
        })
        .collect();
    let mut w = state.world();
    w.requests.push(RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        via: via.into(),
        headers,
    });
    let hit = w.faults.iter().position(|f| {
        path.starts_with(&f.path_prefix)
            && f.method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&method))
    });
    hit.map(|i| {
        let kind = w.faults[i].kind.clone();
        w.faults[i].count = w.faults[i].count.saturating_sub(1);
        if w.faults[i].count == 0 {
            w.faults.remove(i);
        }
        kind
    })
}

pub(crate) async fn apply_fault(kind: FaultKind, req: Request, next: Next) -> Response {
    match kind {
        FaultKind::Status {
            status,
            type_slug,
            title,
            error_code,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut p = Problem::new(status, &type_slug, &title);
            p.error_code = error_code;
            p.into_response()
        }
        FaultKind::RateLimit => {
            let mut r = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limit-exceeded",
                "Rate limit exceeded.",
            )
            .into_response();
            let h = r.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from_static("1000"));
            h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            h.insert("x-ratelimit-window", HeaderValue::from_static("900"));
            r
        }
        FaultKind::Html => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html><head><title>Sign in</title></head>\
             <body><h1>Please sign in to the network</h1></body></html>",
        )
            .into_response(),
        FaultKind::Garbage { len } => {
            let mut rng = rand::rng();
            // Start with a byte no JSON text can start with, so it never parses by luck.
            let bytes: Vec<u8> = std::iter::once(0xffu8)
                .chain((1..len).map(|_| rng.random::<u8>()))
                .take(len)
                .collect();
            ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
        }
        FaultKind::Truncated => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, 64 << 20)
                .await
                .unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            let half = bytes.slice(..bytes.len() / 2);
            Response::from_parts(parts, Body::from(half))
        }
        FaultKind::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
    }
}

// ---- HTTP control routes ----

fn ok() -> Json<Value> {
    Json(json!({"ok": true}))
}

fn unknown_session(name: &str) -> Response {
    Problem::session_not_found()
        .msg(format!("the testkit has no session {name:?}"))
        .into_response()
}

#[derive(Deserialize)]
struct ClockBody {
    offset_secs: i64,
}
#[derive(Deserialize)]
struct ScheduleBody {
    dwell_ms: u64,
    #[serde(default)]
    per_status: BTreeMap<Status, u64>,
}
#[derive(Deserialize)]
struct HoldBody {
    session: String,
    status: Status,
}
#[derive(Deserialize)]
struct HoldNewBody {
    status: Option<Status>,
}
#[derive(Deserialize)]
struct SessionBody {
    session: String,
    #[serde(default)]
    status_info: Option<String>,
}
#[derive(Deserialize)]
struct ReportStatusBody {
    session: String,
    status: Option<String>,
}
#[derive(Deserialize)]
struct NBody {
    n: Option<usize>,
}
#[derive(Deserialize)]
struct BytesBody {
    bytes: Option<u64>,
}
#[derive(Deserialize)]
struct IdleClockBody {
    ahead_secs: i64,
}
#[derive(Deserialize)]
struct UtilizationBody {
    session: String,
    values: BTreeMap<String, f64>,
}
#[derive(Deserialize)]
struct TargetBody {
    app: String,
    addr: SocketAddr,
}

fn ctl(state: &AppState) -> Control {
    Control {
        state: state.clone(),
    }
}

/// Routes under `/__testkit` (JSON, each request with the control token). Bad bodies get
/// axum's 4xx rejections.
pub fn routes(state: AppState) -> Router {
    Router::<AppState>::new()
        .route(
            "/__testkit/report-status",
            post(
                |State(s): State<AppState>, Json(b): Json<ReportStatusBody>| async move {
                    if ctl(&s).report_status(&b.session, b.status.as_deref()) {
                        ok().into_response()
                    } else {
                        unknown_session(&b.session)
                    }
                },
            ),
        )
        .route(
            "/__testkit/idle-policy",
            post(
                |State(s): State<AppState>, Json(b): Json<crate::idle::IdlePolicy>| async move {
                    ctl(&s).set_idle_policy(b);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/idle-clock",
            post(
                |State(s): State<AppState>, Json(b): Json<IdleClockBody>| async move {
                    ctl(&s).set_idle_clock(b.ahead_secs);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/utilization",
            post(
                |State(s): State<AppState>, Json(b): Json<UtilizationBody>| async move {
                    if ctl(&s).set_utilization(&b.session, b.values) {
                        ok().into_response()
                    } else {
                        unknown_session(&b.session)
                    }
                },
            ),
        )
        .route(
            "/__testkit/clock",
            post(
                |State(s): State<AppState>, Json(b): Json<ClockBody>| async move {
                    ctl(&s).set_clock_offset(b.offset_secs);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/faults",
            post(
                |State(s): State<AppState>, Json(b): Json<FaultRule>| async move {
                    ctl(&s).fail_next(b);
                    ok()
                },
            )
            .delete(|State(s): State<AppState>| async move {
                ctl(&s).clear_faults();
                ok()
            }),
        )
        .route(
            "/__testkit/schedule",
            post(
                |State(s): State<AppState>, Json(b): Json<ScheduleBody>| async move {
                    let mut sched = Schedule::uniform(Duration::from_millis(b.dwell_ms));
                    for (st, ms) in b.per_status {
                        sched = sched.with(st, Duration::from_millis(ms));
                    }
                    ctl(&s).set_schedule(sched);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/hold",
            post(
                |State(s): State<AppState>, Json(b): Json<HoldBody>| async move {
                    if ctl(&s).hold(&b.session, b.status) {
                        ok().into_response()
                    } else {
                        unknown_session(&b.session)
                    }
                },
            ),
        )
        .route(
            "/__testkit/hold-new",
            post(
                |State(s): State<AppState>, Json(b): Json<HoldNewBody>| async move {
                    ctl(&s).hold_new_sessions_at(b.status);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/release",
            post(
                |State(s): State<AppState>, Json(b): Json<SessionBody>| async move {
                    if ctl(&s).release(&b.session) {
                        ok().into_response()
                    } else {
                        unknown_session(&b.session)
                    }
                },
            ),
        )
        .route(
            "/__testkit/fail-session",
            post(
                |State(s): State<AppState>, Json(b): Json<SessionBody>| async move {
                    let info = b.status_info.as_deref().unwrap_or("kernel-creation-failed");
                    if ctl(&s).fail_session(&b.session, info) {
                        ok().into_response()
                    } else {
                        unknown_session(&b.session)
                    }
                },
            ),
        )
        .route(
            "/__testkit/terminate",
            post(
                |State(s): State<AppState>, Json(b): Json<SessionBody>| async move {
                    if ctl(&s).terminate_remotely(&b.session) {
                        ok().into_response()
                    } else {
                        unknown_session(&b.session)
                    }
                },
            ),
        )
        .route(
            "/__testkit/sse-break-after",
            post(
                |State(s): State<AppState>, Json(b): Json<NBody>| async move {
                    ctl(&s).sse_break_after(b.n);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/tcpproxy/reject-first",
            post(
                |State(s): State<AppState>, Json(b): Json<NBody>| async move {
                    ctl(&s).tcpproxy_reject_first(b.n.unwrap_or(0) as u32);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/tcpproxy/drop-after-bytes",
            post(
                |State(s): State<AppState>, Json(b): Json<BytesBody>| async move {
                    ctl(&s).tcpproxy_drop_after_bytes(b.bytes);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/app-target",
            post(
                |State(s): State<AppState>, Json(b): Json<TargetBody>| async move {
                    ctl(&s).set_app_target(&b.app, b.addr);
                    ok()
                },
            ),
        )
        .route(
            "/__testkit/sessions",
            get(|State(s): State<AppState>| async move { Json(ctl(&s).sessions()) }),
        )
        .route(
            "/__testkit/session/{name}",
            get(
                |State(s): State<AppState>, Path(name): Path<String>| async move {
                    match ctl(&s).session_status(&name) {
                        Some(st) => Json(json!({"status": st})).into_response(),
                        None => unknown_session(&name),
                    }
                },
            ),
        )
        .route(
            "/__testkit/requests",
            get(|State(s): State<AppState>| async move { Json(ctl(&s).requests()) }).delete(
                |State(s): State<AppState>| async move {
                    ctl(&s).clear_requests();
                    ok()
                },
            ),
        )
        .route_layer(from_fn_with_state(state.clone(), require_control_token))
        .with_state(state)
}
