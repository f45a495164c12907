//! Idle checkers as Backend.AI 26.9.6 runs them (`manager/idle.py`), driven by the control
//! API and a clock of their own ([`idle_now`]): the GraphQL `idle_checks` report and the reclaim itself.
//!
//! - `network_timeout` (expire_after): counts from the last app connection through
//!   `/stream/...`; like the manager, it reports nothing before the first one. An open
//!   connection counts as activity until it closes, or until the manager's
//!   `app-streaming-packet-timeout` (5 min) has passed since it opened: the manager drops a
//!   tracked connection that long without a packet (the testkit does not count packets).
//! - `session_lifetime` (expire_after): from the session's start (RUNNING).
//! - `utilization` (grace_period): `remaining` is the grace before it judges; `extra` holds
//!   `{thresholds_check_operator, resources: {metric: [average, threshold]}}` with the
//!   averages set by the control API. After the grace, averages all under their thresholds
//!   (operator `and`) or any under (`or`) reclaim the session.
//!
//! `remaining` is `-1` once expired, and the session is then ended with the manager's reason
//! (`idle-timeout`, `idle-session-lifetime`, `idle-utilization`) at the next read.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::sessions::{Session, Status};
use crate::state::{AppState, World};

/// Which checkers run, as the manager's `config/idle` and the keypair's resource policy set
/// them. The default runs none: the report is `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdlePolicy {
    #[serde(default)]
    pub network_timeout_secs: Option<u64>,
    #[serde(default)]
    pub session_lifetime_secs: Option<u64>,
    #[serde(default)]
    pub utilization: Option<UtilizationPolicy>,
    /// `config/idle/app-streaming-packet-timeout` (default 300 s).
    #[serde(default)]
    pub packet_timeout_secs: Option<u64>,
}

/// The manager's default `app-streaming-packet-timeout`.
pub const PACKET_TIMEOUT_SECS: u64 = 300;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UtilizationPolicy {
    /// Seconds after creation before utilization is judged (`time_window` / initial grace).
    pub grace_secs: u64,
    /// Metric (`cpu_util`, `cuda_util`, ...) → threshold.
    pub thresholds: BTreeMap<String, f64>,
    /// `and` (all under: idle) or `or` (any under: idle).
    #[serde(default = "and")]
    pub operator: String,
}

fn and() -> String {
    "and".into()
}

/// Per session: what the checkers count from.
#[derive(Debug, Clone, Default)]
pub struct IdleTrack {
    last_access: Option<DateTime<Utc>>,
    /// Open app connections and when the oldest opened.
    open: Vec<DateTime<Utc>>,
    utilization: BTreeMap<String, f64>,
}

/// An app connection through the stream proxy; closing it (dropping this) is the last access.
#[derive(Debug)]
pub struct OpenConnection {
    state: AppState,
    session: uuid::Uuid,
    opened: DateTime<Utc>,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        let mut w = self.state.world();
        let now = idle_now(&w);
        let t = w.idle.entry(self.session).or_default();
        if let Some(i) = t.open.iter().position(|o| *o == self.opened) {
            t.open.remove(i);
        }
        t.last_access = Some(now);
    }
}

/// An app connection opened (the stream proxy calls this at the upgrade).
pub fn connection_opened(state: &AppState, session: uuid::Uuid) -> OpenConnection {
    let mut w = state.world();
    let now = idle_now(&w);
    let t = w.idle.entry(session).or_default();
    t.open.push(now);
    t.last_access = Some(now);
    OpenConnection {
        state: state.clone(),
        session,
        opened: now,
    }
}

/// Control: the utilization averages the agent would report.
pub fn set_utilization(w: &mut World, session: uuid::Uuid, values: BTreeMap<String, f64>) {
    w.idle.entry(session).or_default().utilization = values;
}

fn remaining(secs: f64) -> Value {
    if secs > 0.0 { json!(secs) } else { json!(-1) }
}

fn since(now: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    (now - t).num_milliseconds() as f64 / 1000.0
}

fn started(s: &Session) -> DateTime<Utc> {
    s.status_history
        .get("RUNNING")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(s.created_at)
}

/// One checker's report: `{remaining, remaining_time_type, extra}`.
fn entry(remaining: Value, kind: &str, extra: Value) -> Value {
    json!({"remaining": remaining, "remaining_time_type": kind, "extra": extra})
}

/// The idle checkers' clock: the real one moved by [`World::idle_clock_secs`], so tests can
/// make an hour pass for the checkers without skewing the clock requests are signed against.
pub fn idle_now(w: &World) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(w.idle_clock_secs)
}

/// The session's `idle_checks` as the manager reports it.
pub fn report(w: &World, s: &Session, now: DateTime<Utc>) -> Value {
    let p = &w.idle_policy;
    let track = w.idle.get(&s.id);
    let running = s.status == Status::Running;
    let mut m = Map::new();
    if let Some(limit) = p.network_timeout_secs {
        let stale =
            chrono::Duration::seconds(p.packet_timeout_secs.unwrap_or(PACKET_TIMEOUT_SECS) as i64);
        let r = match track {
            _ if !running => Value::Null,
            // A connection still counted as active: no time runs.
            Some(t) if t.open.iter().any(|o| now < *o + stale) => remaining(limit as f64),
            Some(t) => {
                // Dropped as stale: the manager marks the last access then.
                let dropped = t.open.iter().map(|o| *o + stale).max();
                match t.last_access.max(dropped) {
                    Some(at) => remaining(limit as f64 - since(now, at)),
                    None => Value::Null,
                }
            }
            None => Value::Null,
        };
        m.insert(
            "network_timeout".into(),
            entry(r, "expire_after", Value::Null),
        );
    }
    if let Some(life) = p.session_lifetime_secs {
        let r = if running {
            remaining(life as f64 - since(now, started(s)))
        } else {
            Value::Null
        };
        m.insert(
            "session_lifetime".into(),
            entry(r, "expire_after", Value::Null),
        );
    }
    if let Some(u) = &p.utilization {
        let values = track.map(|t| &t.utilization);
        let resources: Map<String, Value> = u
            .thresholds
            .iter()
            .filter_map(|(metric, thr)| {
                let avg = values?.get(metric)?;
                Some((metric.clone(), json!([avg, thr])))
            })
            .collect();
        let r = remaining(u.grace_secs as f64 - since(now, s.created_at));
        let extra = json!({"thresholds_check_operator": u.operator, "resources": resources});
        m.insert("utilization".into(), entry(r, "grace_period", extra));
    }
    Value::Object(m)
}

/// Why a checker would end the session now, if one would.
fn due(w: &World, s: &Session, now: DateTime<Utc>) -> Option<&'static str> {
    let r = report(w, s, now);
    let expired = |k: &str| r[k]["remaining"].as_f64() == Some(-1.0);
    if expired("network_timeout") {
        return Some("idle-timeout");
    }
    if expired("session_lifetime") {
        return Some("idle-session-lifetime");
    }
    let u = w.idle_policy.utilization.as_ref()?;
    if !expired("utilization") {
        return None;
    }
    let res = r["utilization"]["extra"]["resources"].as_object()?;
    if res.is_empty() {
        return None;
    }
    let under = |v: &Value| v[0].as_f64() < v[1].as_f64();
    let idle = if u.operator == "or" {
        res.values().any(under)
    } else {
        res.values().all(under)
    };
    idle.then_some("idle-utilization")
}

/// End the running sessions a checker has expired (the manager does this every 15 s; the
/// testkit at each read, so tests need not wait).
pub fn reclaim_due(state: &AppState) {
    let mut w = state.world();
    let now = idle_now(&w);
    let due: Vec<(uuid::Uuid, &'static str)> = w
        .sessions
        .iter()
        .filter(|s| s.status == Status::Running)
        .filter_map(|s| due(&w, s, now).map(|why| (s.id, why)))
        .collect();
    for (id, why) in &due {
        crate::sessions::reclaim(state, &mut w, *id, why);
    }
    w.idle.retain(|id, _| !due.iter().any(|(d, _)| d == id));
    drop(w);
    if !due.is_empty() {
        state.notify_changed();
    }
}

/// Sessions' idle tracks, by session id.
pub type IdleTracks = HashMap<uuid::Uuid, IdleTrack>;
