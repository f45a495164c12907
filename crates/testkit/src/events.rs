//! `GET /events/session`: session and kernel events as server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

use crate::problem::{ApiResult, Problem};
use crate::sessions::{Session, find_live};
use crate::state::{AppState, Caller};

/// One event as broadcast inside the server.
#[derive(Debug, Clone)]
pub struct SessionEvent {
    pub name: &'static str,
    pub session_id: uuid::Uuid,
    pub session_name: String,
    pub access_key: String,
    pub kernel_id: uuid::Uuid,
    pub reason: String,
}

impl SessionEvent {
    pub fn new(name: &'static str, s: &Session, reason: &str) -> Self {
        SessionEvent {
            name,
            session_id: s.id,
            session_name: s.name.clone(),
            access_key: s.access_key.clone(),
            kernel_id: s.kernel_id,
            reason: reason.to_owned(),
        }
    }
    fn is_kernel(&self) -> bool {
        self.name.starts_with("kernel_")
    }
    fn data(&self) -> String {
        let mut d = json!({
            "reason": self.reason,
            "sessionName": self.session_name,
            "ownerAccessKey": self.access_key,
            "sessionId": self.session_id.to_string(),
            "exitCode": null,
        });
        if self.is_kernel() {
            d["kernelId"] = json!(self.kernel_id.to_string());
            d["clusterRole"] = json!("main");
            d["clusterIdx"] = json!(0);
        }
        d.to_string()
    }
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    #[serde(rename = "sessionName", alias = "name")]
    session_name: Option<String>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
    #[serde(rename = "ownerAccessKey")]
    owner_access_key: Option<String>,
    scope: Option<String>,
}

/// Which events a subscriber wants.
#[derive(Debug, Clone)]
struct Filter {
    session: Option<uuid::Uuid>,
    access_key: Option<String>,
    sessions: bool,
    kernels: bool,
}

impl Filter {
    fn accepts(&self, ev: &SessionEvent) -> bool {
        let kind_ok = if ev.is_kernel() {
            self.kernels
        } else {
            self.sessions
        };
        kind_ok
            && self.session.is_none_or(|id| id == ev.session_id)
            && self
                .access_key
                .as_ref()
                .is_none_or(|ak| *ak == ev.access_key)
    }
}

pub async fn session_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<impl IntoResponse> {
    // Subscribe first so nothing between the lookup and the stream start is lost.
    let rx = state.events.subscribe();
    let owner = match (&q.owner_access_key, caller.user.is_admin()) {
        (Some(ak), true) => ak.clone(),
        _ => caller.access_key.clone(),
    };
    let (sessions, kernels) = match q.scope.as_deref().unwrap_or("*") {
        "*" => (true, true),
        scope => (
            scope.split(',').any(|s| s.trim() == "session"),
            scope.split(',').any(|s| s.trim() == "kernel"),
        ),
    };
    let session = {
        let w = state.world();
        match (&q.session_name, &q.session_id) {
            (Some(name), _) if name != "*" => Some(
                find_live(&w.sessions, name, Some(&owner))
                    .filter(|s| s.name == *name)
                    .ok_or_else(Problem::session_not_found)?
                    .id,
            ),
            (_, Some(id)) => {
                let id = uuid::Uuid::parse_str(id)
                    .map_err(|_| Problem::invalid_api_params("sessionId is not a UUID"))?;
                Some(
                    w.sessions
                        .iter()
                        .find(|s| s.id == id && s.access_key == owner)
                        .ok_or_else(Problem::session_not_found)?
                        .id,
                )
            }
            _ => None,
        }
    };
    let filter = Filter {
        session,
        access_key: Some(owner),
        sessions,
        kernels,
    };
    let stream = event_stream(state, rx, filter);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn event_stream(
    state: AppState,
    rx: broadcast::Receiver<SessionEvent>,
    filter: Filter,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((rx, 0usize), move |(mut rx, sent)| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            if state.world().sse_break_after.is_some_and(|n| sent >= n) {
                return None;
            }
            loop {
                match rx.recv().await {
                    Ok(ev) if filter.accepts(&ev) => {
                        let e = Event::default().event(ev.name).data(ev.data());
                        return Some((Ok(e), (rx, sent + 1)));
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    })
}
