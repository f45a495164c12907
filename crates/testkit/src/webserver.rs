//! The web UI server: `/server/login*`, the UI page, and `/func/*` → manager routes
//! authenticated by the login session (the user's keypair stays server-side).

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::control::{apply_fault, record};
use crate::encoded::decode_request;
use crate::problem::Problem;
use crate::state::{AppState, Caller, ViaWebserver};

pub const SESSION_COOKIE: &str = "AIOHTTP_SESSION";
pub const SESSION_HEADER: &str = "x-backendai-sessionid";

#[derive(Clone)]
pub struct WebState {
    pub shared: AppState,
    /// The manager routes, reached in-process for `/func/*`.
    pub api: Router,
}

/// The login-session id from the header or the cookie.
fn session_id(h: &HeaderMap) -> Option<String> {
    if let Some(v) = h.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_owned());
    }
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == SESSION_COOKIE).then(|| v.trim().to_owned())
        })
}

fn logged_in(state: &AppState, h: &HeaderMap) -> Option<(String, Caller)> {
    let id = session_id(h)?;
    let ak = state.world().logins.get(&id).cloned()?;
    state.caller_for(&ak).map(|c| (id, c))
}

fn login_data(c: &Caller) -> Value {
    json!({"access_key": c.access_key, "role": c.user.role, "status": "active"})
}

#[derive(Debug, Deserialize)]
struct LoginBody {
    username: String,
    password: String,
    #[serde(default)]
    otp: Option<String>,
}

fn login_failed(status: StatusCode, slug: &str, title: &str, details: &str) -> Response {
    (
        status,
        Json(json!({"authenticated": false, "data": {
            "type": format!("https://api.backend.ai/probs/{slug}"),
            "title": title, "details": details}})),
    )
        .into_response()
}

async fn login(State(ws): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let state = &ws.shared;
    if logged_in(state, &headers).is_some() {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "generic-bad-request",
            "You have already logged in.",
        )
        .into_response();
    }
    // The webserver reads the body as JSON whatever its declared type (aiohttp `json()`).
    let Ok(b) = serde_json::from_slice::<LoginBody>(&body) else {
        return Problem::invalid_api_params("expected {\"username\", \"password\"[, \"otp\"]}")
            .into_response();
    };
    let Some(user) = state
        .config
        .find_user(&b.username)
        .filter(|u| u.password == b.password)
    else {
        return login_failed(
            StatusCode::UNAUTHORIZED,
            "auth-failed",
            "Failed to login.",
            "User credential mismatch.",
        );
    };
    if let Some(code) = &user.otp {
        match &b.otp {
            None => {
                return login_failed(
                    StatusCode::UNAUTHORIZED,
                    "require-totp-authentication",
                    "Two-factor authentication required.",
                    "You must authenticate using Two-Factor Authentication.",
                );
            }
            Some(otp) if otp != code => {
                return login_failed(
                    StatusCode::UNAUTHORIZED,
                    "auth-failed",
                    "Failed to login.",
                    "Invalid TOTP code provided.",
                );
            }
            Some(_) => {}
        }
    }
    let Some(kp) = user.keypairs.first() else {
        return login_failed(
            StatusCode::UNAUTHORIZED,
            "auth-failed",
            "Failed to login.",
            "This user has no keypair.",
        );
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    state
        .world()
        .logins
        .insert(id.clone(), kp.access_key.clone());
    let caller = Caller {
        access_key: kp.access_key.clone(),
        user: user.clone(),
    };
    let mut r = Json(json!({"authenticated": true, "data": login_data(&caller)})).into_response();
    set_session_headers(&mut r, &id);
    r
}

fn set_session_headers(r: &mut Response, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        r.headers_mut().insert(SESSION_HEADER, v);
    }
    let cookie = format!("{SESSION_COOKIE}={id}; HttpOnly; Path=/; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
}

async fn login_check(State(ws): State<WebState>, headers: HeaderMap) -> Response {
    match logged_in(&ws.shared, &headers) {
        Some((id, c)) => {
            let mut r =
                Json(json!({"authenticated": true, "data": login_data(&c), "session_id": id}))
                    .into_response();
            set_session_headers(&mut r, &id);
            r
        }
        None => Json(json!({"authenticated": false, "data": null,
            "session_id": session_id(&headers)}))
        .into_response(),
    }
}

async fn logout(State(ws): State<WebState>, headers: HeaderMap) -> Response {
    let Some((id, _)) = logged_in(&ws.shared, &headers) else {
        return Problem::unauthorized().into_response();
    };
    ws.shared.world().logins.remove(&id);
    let mut r = Json(json!({})).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{SESSION_COOKIE}=; Max-Age=0; Path=/")) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn index() -> Html<&'static str> {
    Html(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Backend.AI</title></head>\
         <body><h1>Backend.AI Web UI (testkit)</h1>\
         <p>This is the web UI of a bai-testkit server.</p></body></html>",
    )
}

async fn func_root() -> Response {
    crate::server::hello().await.into_response()
}

/// `/func/<path>`: strip the prefix, authenticate by login session, run the manager route.
async fn func(State(ws): State<WebState>, mut req: Request) -> Response {
    if !req.uri().path().starts_with("/func/") {
        return Problem::url_not_found().into_response();
    }
    let Some((_, caller)) = logged_in(&ws.shared, req.headers()) else {
        return Problem::unauthorized().into_response();
    };
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/func/");
    let inner = pq.strip_prefix("/func").unwrap_or(pq);
    let inner = if inner.starts_with('/') {
        inner.to_owned()
    } else {
        format!("/{inner}")
    };
    let Ok(uri) = inner.parse::<Uri>() else {
        return Problem::url_not_found().into_response();
    };
    *req.uri_mut() = uri;
    req.extensions_mut().insert(caller);
    req.extensions_mut().insert(ViaWebserver);
    match ws.api.clone().oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// Outermost webserver layer: records `/server/*` calls (`/func/*` ones are recorded by the
/// manager routes with their manager path), then decodes `X-BackendAI-Encoded` bodies for
/// every route, as the webserver's `decrypt_payload` middleware does, then applies faults.
async fn ingress(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let fault = if req.uri().path().starts_with("/server/") {
        req.extensions_mut().insert(ViaWebserver);
        record(&state, &req)
    } else {
        None
    };
    let req = match decode_request(req).await {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    match fault {
        None => next.run(req).await,
        Some(kind) => apply_fault(kind, req, next).await,
    }
}

pub fn router(ws: WebState) -> Router {
    let shared = ws.shared.clone();
    Router::new()
        .route("/", get(index))
        .route("/server/login", post(login))
        .route("/server/login-check", post(login_check))
        .route("/server/logout", post(logout))
        .route("/func", get(func_root))
        .route("/func/", get(func_root))
        // A fallback, not a `{*rest}` route: captured path params would clash with the
        // manager routes' own params in the in-process call.
        .fallback(func)
        .layer(from_fn_with_state(shared, ingress))
        .with_state(ws)
}
