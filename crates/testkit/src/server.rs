//! Builds both listeners' routers and runs them.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn_with_state, map_response_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::auth::{LATEST_VERSION, MANAGER_VERSION, require_auth};
use crate::control::record_and_fault;
use crate::problem::Problem;
use crate::sessions::rest as sess;
use crate::state::AppState;
use crate::{control, events, gql, resources, sshd, stream};

/// `GET /`: the anonymous version probe.
pub async fn hello() -> Response {
    let mut r =
        Json(json!({"version": LATEST_VERSION, "manager": MANAGER_VERSION})).into_response();
    r.headers_mut()
        .insert(header::SERVER, HeaderValue::from_static("BackendAI"));
    r
}

async fn not_found() -> Problem {
    Problem::url_not_found()
}

/// Every response carries `Date` from the (possibly skewed) server clock.
pub async fn date_header(State(state): State<AppState>, mut r: Response) -> Response {
    let d = state.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = HeaderValue::from_str(&d) {
        r.headers_mut().insert(header::DATE, v);
    }
    r
}

/// The manager API routes, shared by the manager listener and the webserver's `/func`.
pub fn api_router(state: AppState) -> Router {
    let authed: Router<AppState> = Router::new()
        .route("/session", post(sess::create))
        .route("/session/_/create", post(sess::create))
        .route(
            "/session/{name}",
            get(sess::info).delete(sess::delete).patch(sess::restart),
        )
        .route("/session/{name}/status-history", get(sess::status_history))
        .route("/stream/session/{name}/apps", get(sess::apps))
        .route("/stream/session/{name}/tcpproxy", get(stream::proxy))
        .route("/stream/session/{name}/httpproxy", get(stream::proxy))
        .route("/events/session", get(events::session_events))
        .route("/admin/gql", post(gql::handle))
        .route("/resource/presets", get(resources::presets))
        .route("/resource/check-presets", post(resources::check_presets))
        .route("/scaling-groups", get(resources::scaling_groups))
        .route(
            "/scaling-groups/{name}/wsproxy-version",
            get(resources::wsproxy_version),
        )
        .route("/folders", get(resources::folders))
        .route("/config/resource-slots", get(resources::resource_slots))
        .route("/auth/role", get(resources::role))
        .route(
            "/auth/ssh-keypair",
            get(sshd::get_ssh_keypair)
                .patch(sshd::generate_ssh_keypair)
                .post(sshd::upload_ssh_keypair),
        )
        .route("/session/{name}/upload", post(sshd::upload))
        .route(
            "/session/{name}/download_single",
            post(sshd::download_single),
        )
        .route_layer(from_fn_with_state(state.clone(), require_auth));
    authed
        .route("/", get(hello))
        .route("/auth/authorize", post(resources::authorize))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), record_and_fault))
        .with_state(state)
}

/// The manager listener: the API plus the `/__testkit` controls.
pub fn manager_router(state: AppState, api: Router) -> Router {
    let ctl = control::routes(state.clone());
    ctl.merge(api)
        .layer(map_response_with_state(state, date_header))
}
