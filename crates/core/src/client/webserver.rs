//! Webserver (login-session) mode: `POST /server/login`, `/server/login-check`,
//! `/server/logout`. The webserver keeps the secret key; the client only ever holds the
//! login-session id, sent back as a header and a cookie.

use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{Call, Client, HDR_SESSION_ID, SESSION_COOKIE};
use super::body::{MAX_BODY_BYTES, parse_json, read_capped};
use super::config::{ClientConfig, Credentials};
use super::problem::{AuthMode, ErrorContext, map_error_response};
use crate::error::{Error, Result};

/// A successful login. `Debug` redacts the session id.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub session_id: SecretString,
    pub access_key: Option<String>,
    pub role: Option<String>,
}

/// `POST /server/login-check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCheck {
    pub authenticated: bool,
    pub access_key: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct LoginAnswer {
    #[serde(default)]
    authenticated: bool,
    #[serde(default)]
    data: Value,
}

/// Log in to a webserver endpoint with email and password (and a TOTP code when asked).
pub async fn login(
    config: &ClientConfig,
    email: &str,
    password: &SecretString,
    otp: Option<&str>,
) -> Result<LoginOutcome> {
    Client::new(config.clone(), Credentials::Anonymous)?
        .login(email, password, otp)
        .await
}

impl Client {
    /// `POST /server/login`. Errors: `OtpRequired`, `TotpRegistrationRequired`,
    /// `AuthFailed` (wrong email or password), `PasswordExpired`, `RateLimited`.
    pub async fn login(
        &self,
        email: &str,
        password: &SecretString,
        otp: Option<&str>,
    ) -> Result<LoginOutcome> {
        use secrecy::ExposeSecret;
        let mut body = json!({ "username": email, "password": password.expose_secret() });
        if let Some(code) = otp.map(str::trim).filter(|c| !c.is_empty()) {
            body["otp"] = json!(code);
        }
        let call = Call::new(Method::POST, "/server/login")
            .json(&body)?
            .anonymous();
        drop(body);
        let mut response = self.send_raw(&call, false).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes =
            read_capped(&mut response, MAX_BODY_BYTES, false, self.config().timeout).await?;
        interpret_login(status, &headers, &bytes)
    }

    /// `POST /server/login-check`: whether this client's login session is still valid.
    pub async fn login_check(&self) -> Result<LoginCheck> {
        let call = Call::new(Method::POST, "/server/login-check").json(&json!({}))?;
        let answer: LoginAnswer = self.call_json(call).await?;
        Ok(LoginCheck {
            authenticated: answer.authenticated,
            access_key: str_field(&answer.data, "access_key"),
            role: str_field(&answer.data, "role"),
        })
    }

    /// `POST /server/logout`: ends the login session on the server.
    pub async fn logout(&self) -> Result<()> {
        self.call_unit(Call::new(Method::POST, "/server/logout").json(&json!({}))?)
            .await
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Turn the login answer into an outcome or the specific reason it failed.
pub fn interpret_login(status: u16, headers: &HeaderMap, body: &[u8]) -> Result<LoginOutcome> {
    let answer: Option<LoginAnswer> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        let answer: LoginAnswer = match answer {
            Some(a) => a,
            None => parse_json(body, "POST /server/login")?,
        };
        if answer.authenticated {
            let session_id = session_id_from(headers).ok_or_else(|| Error::InvalidResponse {
                detail: "the login succeeded but the server sent no session id (neither the X-BackendAI-SessionID header nor the AIOHTTP_SESSION cookie)".into(),
            })?;
            return Ok(LoginOutcome {
                session_id: SecretString::from(session_id),
                access_key: str_field(&answer.data, "access_key"),
                role: str_field(&answer.data, "role"),
            });
        }
        return Err(login_failure(&answer.data));
    }
    if let Some(a) = answer
        .as_ref()
        .filter(|a| status != 429 && !a.authenticated && a.data.is_object())
    {
        return Err(login_failure(&a.data));
    }
    let ctx = ErrorContext::new(AuthMode::Anonymous, "POST", "/server/login");
    match map_error_response(status, headers, body, &ctx) {
        // A 401 on the login form itself means wrong credentials, not an expired session.
        Error::LoginRequired => Err(Error::AuthFailed {
            detail: "wrong email or password".into(),
        }),
        other => Err(other),
    }
}

fn login_failure(data: &Value) -> Error {
    let type_url = str_field(data, "type").unwrap_or_default();
    let text = [str_field(data, "title"), str_field(data, "details")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
    if type_url.ends_with("require-totp-authentication") {
        Error::OtpRequired
    } else if type_url.ends_with("require-totp-registration") {
        Error::TotpRegistrationRequired
    } else if type_url.ends_with("password-expired") {
        Error::PasswordExpired
    } else if type_url.ends_with("too-many-requests") {
        Error::RateLimited {
            window_secs: None,
            limit: None,
        }
    } else {
        Error::AuthFailed {
            detail: if text.is_empty() {
                "wrong email or password".into()
            } else {
                text
            },
        }
    }
}

/// The login-session id: the `X-BackendAI-SessionID` header, else the `AIOHTTP_SESSION` cookie.
fn session_id_from(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(HDR_SESSION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        return Some(v.to_owned());
    }
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookie| {
            let first = cookie.split(';').next()?.trim();
            let (name, value) = first.split_once('=')?;
            (name.trim() == SESSION_COOKIE && !value.trim().is_empty())
                .then(|| value.trim().trim_matches('"').to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use secrecy::ExposeSecret;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn session_id_from_header_or_cookie() {
        let body = br#"{"authenticated": true, "data": {"access_key": "AKX", "role": "user", "status": "active"}}"#;
        let out = interpret_login(200, &headers(&[("x-backendai-sessionid", "sid-1")]), body)
            .expect("ok");
        assert_eq!(out.session_id.expose_secret(), "sid-1");
        assert_eq!(out.access_key.as_deref(), Some("AKX"));
        assert!(!format!("{out:?}").contains("sid-1"), "Debug must redact");
        let h = headers(&[
            ("set-cookie", "other=1; Path=/"),
            ("set-cookie", "AIOHTTP_SESSION=sid-2; HttpOnly; Path=/"),
        ]);
        assert_eq!(
            interpret_login(200, &h, body)
                .expect("ok")
                .session_id
                .expose_secret(),
            "sid-2"
        );
        let e = interpret_login(200, &HeaderMap::new(), body).expect_err("no id");
        assert_eq!(e.code(), "invalid-response");
    }

    #[test]
    fn failures_by_type() {
        let cases = [
            (
                401,
                "https://api.backend.ai/probs/auth-failed",
                "auth-failed",
            ),
            (
                401,
                "https://api.backend.ai/probs/require-totp-authentication",
                "otp-required",
            ),
            (
                401,
                "https://api.backend.ai/probs/require-totp-registration",
                "totp-registration-required",
            ),
            (
                401,
                "https://api.backend.ai/probs/password-expired",
                "password-expired",
            ),
            (
                200,
                "https://api.backend.ai/probs/require-totp-authentication",
                "otp-required",
            ),
        ];
        for (status, ty, code) in cases {
            let body = serde_json::to_vec(&json!({"authenticated": false,
                "data": {"type": ty, "title": "Login failed", "details": "x"}}))
            .expect("json");
            let e = interpret_login(status, &HeaderMap::new(), &body).expect_err(ty);
            assert_eq!(e.code(), code, "{status} {ty}");
        }
        let e = interpret_login(
            429,
            &headers(&[("content-type", "application/problem+json")]),
            br#"{"type": "https://api.backend.ai/probs/too-many-requests", "title": "Too many"}"#,
        )
        .expect_err("429");
        assert_eq!(e.code(), "rate-limited");
        let e =
            interpret_login(502, &HeaderMap::new(), b"<html>bad gateway</html>").expect_err("502");
        assert_eq!(e.code(), "server-unavailable");
    }
}
