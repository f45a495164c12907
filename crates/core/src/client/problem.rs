//! Non-2xx responses → [`Error`]: a pure function of (status, headers, body, request context),
//! so every mapping is unit-tested from canned responses.

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::body::excerpt;
use crate::error::{CredentialKind, Error};
use crate::version::ApiVersion;

/// How a request authenticated; decides between "check your keys" and "log in again".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Keypair,
    LoginSession,
    Anonymous,
}

/// What the failed request was about, for messages that name the thing.
#[derive(Debug, Clone)]
pub struct ErrorContext {
    pub auth: AuthMode,
    pub method: String,
    /// Path without query, as shown in messages.
    pub path: String,
    pub api_version: Option<ApiVersion>,
    /// The image a create request asked for.
    pub image: Option<String>,
    /// The session name a request was about.
    pub session_name: Option<String>,
    /// Local time when the response arrived (to compute clock skew).
    pub now: DateTime<Utc>,
}

impl ErrorContext {
    pub fn new(auth: AuthMode, method: &str, path: &str) -> Self {
        ErrorContext {
            auth,
            method: method.to_owned(),
            path: path.split('?').next().unwrap_or_default().to_owned(),
            api_version: None,
            image: None,
            session_name: None,
            now: Utc::now(),
        }
    }
}

/// An RFC 7807 body as Backend.AI sends it (`type`, `title`, `msg`, `error_code`, `data`).
#[derive(Debug, Default, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_url: Option<String>,
    pub title: Option<String>,
    pub msg: Option<serde_json::Value>,
    pub error_code: Option<String>,
    #[serde(default)]
    pub data: serde_json::Value,
    /// The webserver's login failures put the detail here.
    pub details: Option<serde_json::Value>,
}

impl Problem {
    /// The last path segment of `type`, e.g. `session-already-exists`.
    pub fn slug(&self) -> &str {
        self.type_url
            .as_deref()
            .map(|t| t.trim_end_matches('/').rsplit('/').next().unwrap_or(t))
            .unwrap_or_default()
    }

    /// Title and message joined, for humans.
    pub fn text(&self) -> String {
        let msg = self
            .msg
            .as_ref()
            .or(self.details.as_ref())
            .map(value_text)
            .filter(|m| !m.is_empty());
        match (self.title.as_deref().filter(|t| !t.is_empty()), msg) {
            (Some(t), Some(m)) if t != m => format!("{t} ({m})"),
            (Some(t), _) => t.to_owned(),
            (None, Some(m)) => m,
            (None, None) => String::new(),
        }
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Map a non-2xx response to an error. `body` is at most a small prefix of the response.
pub fn map_error_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &ErrorContext,
) -> Error {
    let problem: Option<Problem> = serde_json::from_slice(body).ok();
    let problem_text = problem.as_ref().map(Problem::text).unwrap_or_default();
    let slug = problem.as_ref().map(Problem::slug).unwrap_or_default();
    let error_code = problem
        .as_ref()
        .and_then(|p| p.error_code.as_deref())
        .unwrap_or_default();
    let detail = if problem_text.is_empty() {
        format!(
            "{} {} answered HTTP {status}{}",
            ctx.method,
            ctx.path,
            body_hint(headers, body)
        )
    } else {
        format!("{problem_text} ({} {})", ctx.method, ctx.path)
    };
    let lower = problem_text.to_ascii_lowercase();

    if status == 429 {
        return Error::RateLimited {
            window_secs: header_u64(headers, "x-ratelimit-window"),
            limit: header_u64(headers, "x-ratelimit-limit"),
        };
    }
    if slug == "quota-exceeded" || error_code.ends_with("quota-exceeded") {
        return Error::QuotaExceeded {
            detail: problem_text,
        };
    }
    if slug == "password-expired" || error_code.contains("password-expired") {
        return Error::PasswordExpired;
    }
    if status == 400 && lower.contains("date/time sync error") {
        return Error::ClockSkew {
            skew_secs: server_date(headers).map(|server| (ctx.now - server).num_seconds()),
        };
    }
    if status == 400 && lower.contains("unsupported api version") {
        return Error::UnsupportedVersion {
            server: match ctx.api_version {
                Some(v) => format!("(unknown; it rejected {v})"),
                None => "(unknown)".into(),
            },
            oldest: ApiVersion::oldest().to_string(),
        };
    }
    if slug == "session-already-exists" || error_code.ends_with("already-exists") {
        let existing_id = problem
            .as_ref()
            .and_then(|p| p.data.get("existingSessionId"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        return Error::SessionNameTaken {
            name: ctx.session_name.clone().unwrap_or_default(),
            existing_id,
        };
    }
    match status {
        401 => match ctx.auth {
            AuthMode::LoginSession => Error::LoginRequired,
            _ => Error::AuthFailed {
                detail: if problem_text.is_empty() {
                    "the server rejected the request signature".into()
                } else {
                    problem_text
                },
                credentials: CredentialKind::Keypair,
            },
        },
        403 => Error::Forbidden { detail },
        404 if is_unknown_image(ctx, &lower, error_code) => Error::UnknownImage {
            image: ctx.image.clone().unwrap_or_default(),
        },
        404 => Error::NotFound { detail },
        502..=504 => Error::Unavailable { status, detail },
        500..=599 => Error::Server { status, detail },
        _ => Error::BadRequest {
            detail: format!("HTTP {status}: {detail}"),
        },
    }
}

fn is_unknown_image(ctx: &ErrorContext, lower_text: &str, error_code: &str) -> bool {
    ctx.image.is_some()
        && (error_code.starts_with("image_")
            || lower_text.contains("image")
            || lower_text.contains("unknownimagereference"))
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn server_date(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let v = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    crate::signing::parse_date(v).map(|d| d.with_timezone(&Utc))
}

fn body_hint(headers: &HeaderMap, body: &[u8]) -> String {
    let ct = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if body.is_empty() {
        String::new()
    } else if ct.contains("html") || body.trim_ascii_start().starts_with(b"<") {
        " with an HTML page (is this the right endpoint?)".into()
    } else {
        format!(": {}", excerpt(body))
    }
}

#[cfg(test)]
#[path = "problem_tests.rs"]
mod tests;
