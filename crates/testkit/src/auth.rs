//! HMAC request authentication, the manager's `check_date` + `sign_request` order.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bai_core::signing::{SignatureInput, parse_authorization, parse_date, signature};

use crate::problem::Problem;
use crate::state::{AppState, Caller};

/// The manager's `VALID_VERSIONS` (26.x).
pub const VALID_VERSIONS: &[&str] = &[
    "v4.20181215",
    "v4.20190115",
    "v4.20190315",
    "v4.20190615",
    "v5.20191215",
    "v6.20200815",
    "v6.20210815",
    "v6.20220315",
    "v6.20220615",
    "v6.20221201",
    "v6.20230315",
    "v7.20230615",
    "v8.20240315",
    "v8.20240915",
    "v9.20250722",
];

pub const LATEST_VERSION: &str = "v9.20250722";
pub const MANAGER_VERSION: &str = "26.9.6";
const MAX_SKEW_SECS: i64 = 15 * 60;

fn header<'a>(h: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| h.get(*n).and_then(|v| v.to_str().ok()))
}

fn invalid_params(msg: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid-auth-params",
        "Missing or invalid authorization parameters.",
    )
    .msg(msg)
}

fn auth_failed(msg: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "auth-failed",
        "Credential/signature mismatch.",
    )
    .code("user_auth_unauthorized")
    .msg(msg)
}

/// Constant-time comparison so the check does not leak how much of a signature matched.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Verifies the signature of a manager request and returns who sent it.
pub fn verify(state: &AppState, req: &Request) -> Result<Caller, Problem> {
    let h = req.headers();
    let Some(authz) = header(h, &["authorization"]) else {
        return Err(Problem::unauthorized());
    };
    let date_raw = header(h, &["date", "x-backendai-date", "x-sorna-date"])
        .ok_or_else(|| invalid_params("Date/time sync error"))?;
    let date = parse_date(date_raw).ok_or_else(|| invalid_params("Date/time sync error"))?;
    let skew = (state.now() - date.to_utc()).num_seconds();
    if skew.abs() >= MAX_SKEW_SECS {
        return Err(invalid_params("Date/time sync error"));
    }
    let version = header(h, &["x-backendai-version", "x-sorna-version"])
        .ok_or_else(|| invalid_params("API version missing in request headers"))?;
    if !VALID_VERSIONS.contains(&version) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "generic-bad-request",
            "Bad request.",
        )
        .msg("Unsupported API version."));
    }
    let parsed = parse_authorization(authz)
        .ok_or_else(|| invalid_params("Malformed Authorization header"))?;
    let method_ok = parsed
        .sign_method
        .split_once('-')
        .is_some_and(|(mac, hash)| {
            mac.eq_ignore_ascii_case("hmac") && hash.eq_ignore_ascii_case("sha256")
        });
    if !method_ok {
        return Err(invalid_params("Unsupported signMethod (only HMAC-SHA256)"));
    }
    let Some((user, keypair)) = state.config.find_keypair(&parsed.access_key) else {
        return Err(auth_failed("Access key not found in HMAC"));
    };
    let host = header(h, &["host"]).unwrap_or("");
    let content_type = header(h, &["content-type"])
        .map(|ct| ct.split(';').next().unwrap_or("").trim())
        .filter(|ct| !ct.is_empty())
        .unwrap_or(bai_core::signing::CONTENT_TYPE_NONE);
    let rel_url = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let input = SignatureInput {
        method: req.method().as_str(),
        rel_url,
        date_header: date_raw,
        date,
        host,
        content_type,
        api_version: version,
    };
    let expected = signature(&keypair.secret_key, &input);
    if !same(&expected, &parsed.signature.to_ascii_lowercase()) {
        return Err(auth_failed("HMAC signature mismatch"));
    }
    Ok(Caller {
        access_key: keypair.access_key.clone(),
        user: user.clone(),
    })
}

/// Route layer for every authenticated manager route. Requests that arrive through the
/// webserver's `/func` already carry a [`Caller`] from the login session.
pub async fn require_auth(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.extensions().get::<Caller>().is_some() {
        return next.run(req).await;
    }
    match verify(&state, &req) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(p) => p.into_response(),
    }
}
