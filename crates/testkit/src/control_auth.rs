//! The secret that guards `/__testkit`. The control API can fail sessions, skew the clock and
//! read every recorded request (with its `Authorization`), and the testkit is also the demo a
//! user runs on their own machine: anyone else on that machine, or a web page, must not steer
//! it. Each start draws a fresh random token; HTTP callers send `Authorization: Bearer <token>`.

use std::fmt;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::Rng;

use crate::auth::same;
use crate::problem::Problem;
use crate::state::AppState;

/// A random bearer token for the control API. Never logged: `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct ControlToken(String);

impl ControlToken {
    /// 32 random bytes, URL-safe base64 (43 characters).
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::rng().random();
        ControlToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ControlToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ControlToken(..)")
    }
}

const HOW_TO: &str = "the /__testkit control API needs `Authorization: Bearer <control_token>`; \
     take control_token from bai-testkit's ready line (or TestKit::control_token())";

fn refused(status: StatusCode, title: &str) -> Response {
    let mut r = Problem::new(status, "auth-failed", title)
        .msg(HOW_TO)
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"bai-testkit control\""),
        );
    }
    r
}

/// Route layer of the control routes: 401 without a bearer token, 403 with a wrong one. The
/// handler never runs then, so a refused request changes nothing.
pub async fn require_control_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match presented {
        None => {
            tracing::warn!(path = %req.uri().path(), "refused a control request without a token");
            refused(StatusCode::UNAUTHORIZED, "A control token is required.")
        }
        Some(token) if !same(token, state.control_token.expose()) => {
            tracing::warn!(path = %req.uri().path(), "refused a control request with a wrong token");
            refused(StatusCode::FORBIDDEN, "Wrong control token.")
        }
        Some(_) => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_never_shown() {
        let a = ControlToken::generate();
        let b = ControlToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
