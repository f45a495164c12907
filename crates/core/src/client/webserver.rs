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
use crate::error::{CredentialKind, Error, Result};

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

/// How to log in, besides email and password.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginOptions {
    /// A TOTP code, when the account has two-factor authentication.
    pub otp: Option<String>,
    /// Sent as `force: true`: when the account is at its `max_concurrent_logins`, the manager
    /// logs out its oldest session (of the same client type when one is sent) instead of 409
    /// `active-login-session-exists`. Only ever set on the user's explicit choice.
    pub force: bool,
    /// The site's login client type for the launcher (a UUID of its `login_client_types`),
    /// `None` (the default) to send none. With a type, the manager counts
    /// `max_concurrent_logins` (and `force` evicts) only among sessions of that type; without
    /// one, among all of the user's sessions, the web console's included. A site gives each
    /// type a server-generated id (`POST /v2/login-client-types` takes only a name), and a
    /// manager installed with `mgr schema oneshot` has not even the `core`/`webui` rows the
    /// migrations seed, so no fixed id can be sent by default. When the manager refuses the
    /// type (an unknown id fails the session row's foreign key: a 500), the login is retried
    /// once without it, so a stale id never blocks a login.
    pub client_type_id: Option<String>,
}

impl LoginOptions {
    /// The defaults with a TOTP code (blank codes count as none).
    pub fn with_otp(otp: Option<&str>) -> Self {
        LoginOptions {
            otp: otp
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            ..LoginOptions::default()
        }
    }
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
    /// `POST /server/login` with the default options and `otp`. See [`Client::login_with`].
    pub async fn login(
        &self,
        email: &str,
        password: &SecretString,
        otp: Option<&str>,
    ) -> Result<LoginOutcome> {
        self.login_with(email, password, &LoginOptions::with_otp(otp))
            .await
    }

    /// `POST /server/login`. Errors: `OtpRequired`, `TotpRegistrationRequired`,
    /// `AuthFailed` (wrong email or password), `PasswordExpired`, `RateLimited`,
    /// `ActiveLoginSessionExists` (409: at the account's concurrent-login limit; retry with
    /// `force`).
    pub async fn login_with(
        &self,
        email: &str,
        password: &SecretString,
        options: &LoginOptions,
    ) -> Result<LoginOutcome> {
        let client_type = options
            .client_type_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let (status, headers, bytes) = self
            .post_login(email, password, options, client_type)
            .await?;
        if client_type.is_some() && refuses_client_type(status, &bytes) {
            // The password was already checked when the manager got this far (it validates the
            // type only when it inserts the new login session), and the webserver counts only
            // 401s towards its brute-force lock, so one retry without the type is harmless.
            tracing::warn!(
                status,
                "the server refused the login client type; logging in without one"
            );
            let (status, headers, bytes) = self.post_login(email, password, options, None).await?;
            return interpret_login(status, &headers, &bytes);
        }
        interpret_login(status, &headers, &bytes)
    }

    async fn post_login(
        &self,
        email: &str,
        password: &SecretString,
        options: &LoginOptions,
        client_type: Option<&str>,
    ) -> Result<(u16, HeaderMap, Vec<u8>)> {
        use secrecy::ExposeSecret;
        // The webserver passes every key besides username and password to the manager's
        // `POST /auth/authorize` as is.
        let mut body = json!({ "username": email, "password": password.expose_secret() });
        if let Some(code) = options
            .otp
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            body["otp"] = json!(code);
        }
        if options.force {
            body["force"] = json!(true);
        }
        if let Some(id) = client_type {
            body["client_type_id"] = json!(id);
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
        Ok((status, headers, bytes))
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

/// Whether a login answer says the manager refused the client type rather than the user. On
/// 26.9.6 an id with no `login_client_types` row fails the session insert's foreign key, which
/// the manager does not map: `500 internal-server-error` (after the password was checked); an
/// id that is not a UUID fails the schema: `400` whose details name `client_type_id`. A
/// manager that maps database errors would answer `foreign-key-violation` or
/// `integrity-error`. Auth outcomes (401, TOTP, 409 `active-login-session-exists`, 429) never
/// match.
fn refuses_client_type(status: u16, body: &[u8]) -> bool {
    if status == 500 {
        return true;
    }
    let Ok(answer) = serde_json::from_slice::<LoginAnswer>(body) else {
        return false;
    };
    let type_url = str_field(&answer.data, "type").unwrap_or_default();
    type_url.ends_with("foreign-key-violation")
        || type_url.ends_with("integrity-error")
        || (status == 400 && answer.data.to_string().contains("client_type"))
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
        return Err(login_failure(status, &answer.data));
    }
    // The webserver relays the manager's refusal as `{"authenticated": false, "data": {type,
    // title, details}}` with the manager's status (401, 409, ...), as plain JSON.
    if let Some(a) = answer
        .as_ref()
        .filter(|a| status != 429 && !a.authenticated && a.data.is_object())
    {
        return Err(login_failure(status, &a.data));
    }
    let ctx = ErrorContext::new(AuthMode::Anonymous, "POST", "/server/login");
    match map_error_response(status, headers, body, &ctx) {
        // A 401 on the login form itself means wrong credentials, not an expired session.
        Error::LoginRequired | Error::AuthFailed { .. } => Err(wrong_password()),
        other => Err(other),
    }
}

fn wrong_password() -> Error {
    Error::AuthFailed {
        detail: "wrong email or password".into(),
        credentials: CredentialKind::Password,
    }
}

fn login_failure(status: u16, data: &Value) -> Error {
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
    } else if type_url.ends_with("active-login-session-exists") {
        Error::ActiveLoginSessionExists { profile: None }
    } else if type_url.ends_with("rejected-by-hook") || type_url.ends_with("totp-auth-failed") {
        // An auth plugin refused the login after the password matched; the TOTP plugin does
        // so (400 `rejected-by-hook`) for a wrong code.
        let wrong_code = text.to_ascii_lowercase().contains("otp");
        Error::AuthFailed {
            detail: if wrong_code {
                "the one-time code was not accepted".into()
            } else if text.is_empty() {
                "a login plugin of the server refused it".into()
            } else {
                text
            },
            credentials: if wrong_code {
                CredentialKind::Otp
            } else {
                CredentialKind::Password
            },
        }
    } else if type_url.ends_with("auth-failed") || matches!(status, 200..=299 | 401 | 403) {
        // The manager's `auth-failed` title ("Credential/signature mismatch.") speaks of
        // signatures, which means nothing to someone who typed a password; its details are
        // "User credential mismatch." for a wrong password and say more in the other cases
        // ("This account needs email verification.", "No API keypairs found.").
        match str_field(data, "details").filter(|d| {
            let d = d.to_ascii_lowercase();
            !d.trim().is_empty() && !d.contains("credential") && !d.contains("signature")
        }) {
            Some(details) => Error::AuthFailed {
                detail: details,
                credentials: CredentialKind::Password,
            },
            None => wrong_password(),
        }
    } else {
        let detail = if text.is_empty() {
            format!("HTTP {status}")
        } else {
            text
        };
        match status {
            502..=504 => Error::Unavailable { status, detail },
            500..=599 => Error::Server { status, detail },
            _ => Error::BadRequest {
                detail: format!("HTTP {status}: {detail}"),
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

    #[test]
    fn too_many_logins_is_its_own_error() {
        // What the 26.9.6 webserver relays for the manager's TooManyConcurrentLoginSessions.
        let body = br#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/active-login-session-exists", "title": "Too many concurrent login sessions for this user.", "details": null}}"#;
        let e = interpret_login(409, &HeaderMap::new(), body).expect_err("409");
        assert_eq!(e.code(), "active-login-session-exists");
        let msg = e.to_string();
        assert!(msg.contains("already signed in elsewhere"), "{msg}");
        assert!(msg.contains("--force"), "{msg}");
        assert!(!refuses_client_type(409, body));
    }

    #[test]
    fn wrong_password_speaks_of_email_and_password() {
        let body = br#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/auth-failed", "title": "Credential/signature mismatch.", "details": "User credential mismatch."}}"#;
        let e = interpret_login(401, &HeaderMap::new(), body).expect_err("401");
        assert_eq!(e.code(), "auth-failed");
        let msg = e.to_string();
        assert!(msg.contains("email and password"), "{msg}");
        assert!(
            !msg.contains("secret key") && !msg.contains("signature"),
            "{msg}"
        );
        let body = br#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/auth-failed", "title": "Credential/signature mismatch.", "details": "This account needs email verification."}}"#;
        let e = interpret_login(401, &HeaderMap::new(), body).expect_err("401");
        assert!(e.to_string().contains("email verification"), "{e}");
    }

    #[test]
    fn a_wrong_totp_code_says_so() {
        let body = br#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/rejected-by-hook", "title": "Operation rejected by a hook plugin.", "details": "Invalid TOTP code provided"}}"#;
        let e = interpret_login(400, &HeaderMap::new(), body).expect_err("400");
        assert_eq!(e.code(), "auth-failed");
        assert!(e.to_string().contains("one-time code"), "{e}");
        assert!(!refuses_client_type(400, body));
    }

    #[test]
    fn client_type_refusals_are_told_apart_from_auth_outcomes() {
        // 26.9.6 through its webserver, for an id with no login_client_types row.
        let unknown = br#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/internal-server-error", "title": "Internal server error.", "details": null}}"#;
        assert!(refuses_client_type(500, unknown));
        let fk = br#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/foreign-key-violation", "title": "Foreign key constraint violated."}}"#;
        assert!(refuses_client_type(409, fk));
        let schema = br#"{"authenticated": false, "data": {"type": "https://api.backend.ai/probs/generic-bad-request", "title": "Invalid or Missing API Parameters.", "details": "Schema validation failed. (1 validation error for AuthorizeRequest\nclient_type_id\n  Input should be a valid UUID"}}"#;
        assert!(refuses_client_type(400, schema));
        for (status, ty) in [
            (401, "auth-failed"),
            (200, "require-totp-authentication"),
            (429, "too-many-requests"),
            (409, "active-login-session-exists"),
            (400, "rejected-by-hook"),
        ] {
            let body = serde_json::to_vec(&json!({"authenticated": false,
                "data": {"type": format!("https://api.backend.ai/probs/{ty}")}}))
            .expect("json");
            assert!(!refuses_client_type(status, &body), "{ty}");
        }
    }

    #[test]
    fn options_default_to_no_client_type_and_no_force() {
        let o = LoginOptions::with_otp(Some(" 123456 "));
        assert_eq!(o.otp.as_deref(), Some("123456"));
        assert!(!o.force);
        assert_eq!(o.client_type_id, None);
        assert_eq!(LoginOptions::with_otp(Some("  ")).otp, None);
    }
}
