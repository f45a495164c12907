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
use crate::state::{AppState, Caller, LoginRecord, ViaWebserver};

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
    /// The manager's `force`: at the limit, log out the oldest sessions instead of a 409.
    #[serde(default)]
    force: bool,
    /// The manager's `client_type_id` (a UUID of `login_client_types`), kept as sent.
    #[serde(default)]
    client_type_id: Option<Value>,
}

fn login_failed(status: StatusCode, slug: &str, title: &str, details: &str) -> Response {
    (
        status,
        Json(json!({"authenticated": false, "data": {
            "type": format!("https://api.backend.ai/probs/{slug}"),
            // The manager's problem `msg`, which the webserver relays as `details` (or null).
            "title": title, "details": (!details.is_empty()).then_some(details)}})),
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
            "Credential/signature mismatch.",
            "User credential mismatch.",
        );
    };
    // The TOTP plugin (26.9.6 `manager/plugin/totp`) runs after the password matched: no
    // code is a 200 asking for one, a wrong code a 400 `rejected-by-hook`.
    if let Some(code) = &user.otp {
        match b.otp.as_deref().filter(|c| !c.is_empty()) {
            None => {
                return login_failed(
                    StatusCode::OK,
                    "require-totp-authentication",
                    "Two-Factor Authentication needed.",
                    "You must authenticate using Two-Factor Authentication.",
                );
            }
            Some(otp) if otp != code => {
                return login_failed(
                    StatusCode::BAD_REQUEST,
                    "rejected-by-hook",
                    "Operation rejected by a hook plugin.",
                    "Invalid TOTP code provided",
                );
            }
            Some(_) => {}
        }
    }
    let client_type = match &b.client_type_id {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()) {
            Some(id) => Some(id),
            None => {
                return login_failed(
                    StatusCode::BAD_REQUEST,
                    "generic-bad-request",
                    "Invalid or Missing API Parameters.",
                    "Schema validation failed. (1 validation error for AuthorizeRequest\nclient_type_id\n  Input should be a valid UUID)",
                );
            }
        },
    };
    let Some(kp) = user.keypairs.first() else {
        return login_failed(
            StatusCode::UNAUTHORIZED,
            "auth-failed",
            "Failed to login.",
            "This user has no keypair.",
        );
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    {
        let mut world = state.world();
        // As the manager: the live sessions of this user (of the same client type when the
        // login names one, else all of them), oldest first.
        let live: Vec<String> = world
            .login_order
            .iter()
            .filter(|l| {
                l.email == user.email && (client_type.is_none() || l.client_type == client_type)
            })
            .map(|l| l.id.clone())
            .collect();
        let mut evict = Vec::new();
        if let Some(limit) = user.max_concurrent_logins
            && live.len() >= limit
        {
            if !b.force || limit == 0 {
                drop(world);
                return login_failed(
                    StatusCode::CONFLICT,
                    "active-login-session-exists",
                    "Too many concurrent login sessions for this user.",
                    "",
                );
            }
            evict = live[..live.len() - limit + 1].to_vec();
        }
        // The session row's foreign key: an unregistered type fails the insert, which
        // 26.9.6 does not map (a 500), before anything is evicted.
        if client_type.is_some_and(|t| !state.config.login_client_types.contains(&t)) {
            drop(world);
            return login_failed(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-server-error",
                "Internal server error.",
                "",
            );
        }
        for old in &evict {
            world.logins.remove(old);
        }
        world.login_order.retain(|l| !evict.contains(&l.id));
        world.logins.insert(id.clone(), kp.access_key.clone());
        world.login_order.push(LoginRecord {
            id: id.clone(),
            email: user.email.clone(),
            client_type,
        });
    }
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
    {
        let mut world = ws.shared.world();
        world.logins.remove(&id);
        world.login_order.retain(|l| l.id != id);
    }
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
