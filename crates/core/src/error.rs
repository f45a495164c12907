//! The one error type of `bai-core`. Every variant has a stable machine code (`code()`), which
//! the UI and scripts match on, and a message a user can act on (`Display`), which they show.

use std::time::Duration;

use crate::client::SessionStatus;

/// What went wrong, with enough detail to tell the user what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid endpoint {input:?}: {reason}")]
    InvalidEndpoint { input: String, reason: String },

    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },

    #[error("{}", clock_skew_message(*.skew_secs))]
    ClockSkew {
        /// Our clock minus the server's, in seconds, when the server sent a `Date` header.
        skew_secs: Option<i64>,
    },

    #[error("authentication failed: {detail}. {}", credentials.hint())]
    AuthFailed {
        detail: String,
        /// Which credentials were rejected, so the message names the right ones.
        credentials: CredentialKind,
    },

    #[error("the password has expired: change it in the web UI, then log in again")]
    PasswordExpired,

    #[error("one-time password required: enter the code from your authenticator app")]
    OtpRequired,

    #[error(
        "two-factor authentication must be set up first: register an authenticator in the web UI, then log in again"
    )]
    TotpRegistrationRequired,

    #[error("not logged in, or the login session expired: log in again")]
    LoginRequired,

    /// The webserver's 409 `active-login-session-exists`: the user's resource policy caps
    /// `max_concurrent_logins` and that many sessions are live. Logging in again with
    /// `force` makes the manager log out the oldest of them.
    #[error("{}", active_login_message(.profile.as_deref()))]
    ActiveLoginSessionExists {
        /// The profile being logged in, to name it in the fix.
        profile: Option<String>,
    },

    #[error(
        "the server speaks API {server}, older than the oldest this launcher supports ({oldest}); ask the administrator to upgrade Backend.AI"
    )]
    UnsupportedVersion { server: String, oldest: String },

    #[error("unknown image {image:?}: pick one of the installed images (bai images)")]
    UnknownImage { image: String },

    #[error("a session named {name:?} already exists{}; choose another name or reuse it", existing_id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default())]
    SessionNameTaken {
        name: String,
        existing_id: Option<String>,
    },

    #[error("quota exceeded: {detail}. Ask for fewer resources or end another session")]
    QuotaExceeded { detail: String },

    #[error("rate limit reached{}: wait a few minutes and try again", rate_window(*.window_secs, *.limit))]
    RateLimited {
        window_secs: Option<u64>,
        limit: Option<u64>,
    },

    #[error("not found: {detail}")]
    NotFound { detail: String },

    #[error("not allowed: {detail}")]
    Forbidden { detail: String },

    #[error("the request was rejected: {detail}")]
    BadRequest { detail: String },

    #[error(
        "server error {status}: {detail}. Try again later; if it persists, tell the cluster administrator"
    )]
    Server { status: u16, detail: String },

    #[error("the server is unavailable ({status}): {detail}. Try again later")]
    Unavailable { status: u16, detail: String },

    #[error(
        "connection refused by {url}: is the server running, and is the address and port right?"
    )]
    ConnectionRefused { url: String },

    #[error(
        "cannot resolve host {host:?}: check the spelling of the endpoint and your network or VPN"
    )]
    Dns { host: String },

    #[error(
        "TLS failure talking to {url}: {detail}. If the cluster uses a private CA, set the profile's CA certificate (`--ca-cert FILE`, or the CA field of the profile in the app); skipping verification (`--insecure-skip-verify`) is a last resort for test clusters"
    )]
    Tls { url: String, detail: String },

    #[error("{url} did not answer within {}s: check your network, or try again later", .after.as_secs())]
    Timeout { url: String, after: Duration },

    #[error("network error talking to {url}: {detail}")]
    Network { url: String, detail: String },

    #[error("{url} does not look like a Backend.AI endpoint: {detail}")]
    NotBackendAi { url: String, detail: String },

    #[error("unexpected response from the server: {detail}")]
    InvalidResponse { detail: String },

    #[error("the server sent more than {limit} bytes for one response; refusing to read further")]
    ResponseTooLarge { limit: usize },

    #[error("event stream failed: {detail}")]
    EventStream { detail: String },

    #[error(
        "the server sent a session event larger than {limit} bytes; stopped reading the event stream (a proxy or the server is misbehaving)"
    )]
    EventTooLarge { limit: usize },

    #[error("no profile named {name:?}: see `bai profile list` for the names")]
    ProfileNotFound { name: String },

    #[error("a profile named {name:?} already exists: choose another name, or edit that profile")]
    ProfileExists { name: String },

    #[error("no {what} is stored for profile {profile:?}: {fix}")]
    SecretMissing {
        profile: String,
        what: String,
        fix: String,
    },

    #[error(transparent)]
    Secrets(#[from] bai_secrets::Error),

    #[error("cannot {action} {path}: {detail}")]
    ConfigIo {
        action: String,
        path: String,
        detail: String,
    },

    /// A config, log or data folder that someone else could change under us.
    #[error(
        "refusing to use the folder {path}: {problem}, so they could plant files the launcher would trust. To fix it, {fix}"
    )]
    UnsafeFolder {
        path: String,
        problem: String,
        fix: String,
    },

    // How a launch ends when it does not end ready.
    /// The session ended (ERROR, CANCELLED, TERMINATED) before it was usable.
    #[error("{}", ended_message(.session, .status, .status_info.as_deref()))]
    SessionEnded {
        session: String,
        status: SessionStatus,
        status_info: Option<String>,
    },

    #[error(
        "session {session:?} was still {status} after {}s; it may be waiting for resources. Try again later or ask for less",
        .after.as_secs()
    )]
    StartTimeout {
        session: String,
        status: SessionStatus,
        after: Duration,
    },

    #[error("{}", not_offered_message(.app.as_deref(), .offered))]
    AppNotOffered {
        app: Option<String>,
        offered: Vec<String>,
    },

    #[error("app {app:?} speaks {protocol}, not HTTP, so a browser cannot open it")]
    AppNotWeb { app: String, protocol: String },

    #[error("cannot open the local tunnel: {0}")]
    TunnelOpen(String),

    #[error(
        "{app} did not answer within {}s ({last}); the session runs, so try opening it again in a moment",
        .after.as_secs()
    )]
    AppNotReady {
        app: String,
        after: Duration,
        last: String,
    },

    #[error("{app} cannot be opened: {reason}")]
    AppFailed { app: String, reason: String },

    #[error("{}", cancelled_message(.session.as_deref(), *.destroyed))]
    LaunchCancelled {
        session: Option<String>,
        /// Whether the session was destroyed because of the cancel.
        destroyed: bool,
    },

    #[error("this session belongs to another user: only your own sessions are ended")]
    NotOwnSession { session: String },

    #[error("there is no default profile: quick start uses the default profile")]
    NoDefaultProfile,

    #[error("this cluster has no installed image that offers Jupyter: set a quick-start image")]
    NoNotebookImage,

    #[error("internal error: {detail}. Please report it")]
    Internal { detail: String },

    /// `launch again` of a session this profile's launch history does not hold.
    #[error(
        "no launch of {session:?} is in this profile's launch history: launch it anew, or pick one the history lists"
    )]
    NotInHistory { session: String },

    /// `launch again` under a name that a session still holds (it has not ended).
    #[error(
        "session {name:?} has not ended, so its name is still taken: open it, terminate it first, or launch again under another name"
    )]
    AgainNameTaken { name: String },

    /// This device's SSH key, the session's `authorized_keys` or the SSH config files.
    #[error("{detail}")]
    Ssh { detail: String },

    /// A program the SSH commands run is not installed.
    #[error("`{program}` was not found: {hint}")]
    ProgramMissing { program: String, hint: String },

    /// A `backendai-launcher:` link that is malformed, asks for what a link may not set, or
    /// names a profile that does not exist ([`crate::deep_link`]).
    #[error("the link was refused: {reason}")]
    LinkRefused { reason: String },

    #[error(
        "launch {launch} has ended and its details are no longer kept: its session, if it has one, is in the profile's list of sessions"
    )]
    LaunchNotKnown { launch: String },
}

/// The credentials an [`Error::AuthFailed`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// An access key and secret key (API mode, HMAC-signed requests).
    Keypair,
    /// An email and password (webserver login).
    Password,
    /// The one-time code of a two-factor login.
    Otp,
}

impl CredentialKind {
    fn hint(self) -> &'static str {
        match self {
            CredentialKind::Keypair => "Check the access key and secret key (or log in again)",
            CredentialKind::Password => "Check the email and password",
            CredentialKind::Otp => {
                "Use the current code from your authenticator app (it changes every 30 seconds)"
            }
        }
    }
}

fn active_login_message(profile: Option<&str>) -> String {
    let cli = match profile {
        Some(p) => format!("`bai profile login {p:?} --force`"),
        None => "`bai profile login NAME --force`".into(),
    };
    format!(
        "this account is already signed in elsewhere as many times as its limit allows (the site's maximum of concurrent logins). To sign in here, sign in again and choose to log out the other session (in the CLI: {cli}); the oldest session elsewhere is then logged out"
    )
}

fn ended_message(session: &str, status: &SessionStatus, info: Option<&str>) -> String {
    let what = match status {
        SessionStatus::Error => "failed",
        SessionStatus::Cancelled => "was cancelled",
        _ => "was terminated",
    };
    match info {
        Some(i) if !i.is_empty() => format!("session {session:?} {what} ({status}: {i})"),
        _ => format!("session {session:?} {what} ({status}; the server gave no reason)"),
    }
}

fn not_offered_message(app: Option<&str>, offered: &[String]) -> String {
    let list = if offered.is_empty() {
        "none".to_owned()
    } else {
        offered.join(", ")
    };
    match app {
        Some(a) => format!("the session does not offer app {a:?}; it offers: {list}"),
        None => format!(
            "the session offers no Jupyter app; choose one of: {list} (or an image with Jupyter)"
        ),
    }
}

fn cancelled_message(session: Option<&str>, destroyed: bool) -> String {
    match (session, destroyed) {
        (Some(s), true) => format!("launch cancelled; session {s:?} was destroyed"),
        (Some(s), false) => format!("launch cancelled; session {s:?} was left running"),
        (None, _) => "launch cancelled before a session was created".into(),
    }
}

fn clock_skew_message(skew: Option<i64>) -> String {
    match skew {
        Some(s) => {
            let dir = if s > 0 { "ahead of" } else { "behind" };
            format!(
                "this computer's clock is {} {dir} the server's; Backend.AI rejects requests more than 15 minutes off. Set the clock right (enable automatic time sync) and try again",
                human_duration(s.unsigned_abs())
            )
        }
        None => "this computer's clock is too far from the server's (more than 15 minutes); set the clock right (enable automatic time sync) and try again".into(),
    }
}

fn human_duration(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} seconds"),
        s if s < 2 * 3600 => format!("{} minutes", s / 60),
        s if s < 2 * 86400 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86400),
    }
}

fn rate_window(window: Option<u64>, limit: Option<u64>) -> String {
    match (limit, window) {
        (Some(l), Some(w)) => format!(" ({l} requests per {} minutes)", w / 60),
        (None, Some(w)) => format!(" (window {} minutes)", w / 60),
        _ => String::new(),
    }
}

impl Error {
    /// A stable, kebab-case code for programs (the UI, scripts, tests) to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidEndpoint { .. } => "invalid-endpoint",
            Error::InvalidInput { .. } => "invalid-input",
            Error::ClockSkew { .. } => "clock-skew",
            Error::AuthFailed { .. } => "auth-failed",
            Error::PasswordExpired => "password-expired",
            Error::OtpRequired => "otp-required",
            Error::TotpRegistrationRequired => "totp-registration-required",
            Error::LoginRequired => "login-required",
            Error::ActiveLoginSessionExists { .. } => "active-login-session-exists",
            Error::UnsupportedVersion { .. } => "unsupported-api-version",
            Error::UnknownImage { .. } => "unknown-image",
            Error::SessionNameTaken { .. } => "session-name-taken",
            Error::QuotaExceeded { .. } => "quota-exceeded",
            Error::RateLimited { .. } => "rate-limited",
            Error::NotFound { .. } => "not-found",
            Error::Forbidden { .. } => "forbidden",
            Error::BadRequest { .. } => "bad-request",
            Error::Server { .. } => "server-error",
            Error::Unavailable { .. } => "server-unavailable",
            Error::ConnectionRefused { .. } => "connection-refused",
            Error::Dns { .. } => "dns-failure",
            Error::Tls { .. } => "tls-failure",
            Error::Timeout { .. } => "timeout",
            Error::Network { .. } => "network",
            Error::NotBackendAi { .. } => "not-backendai",
            Error::InvalidResponse { .. } => "invalid-response",
            Error::ResponseTooLarge { .. } => "response-too-large",
            Error::EventStream { .. } => "event-stream",
            Error::EventTooLarge { .. } => "event-too-large",
            Error::SecretMissing { .. } => "secret-missing",
            Error::Secrets(e) => e.code(),
            Error::ProfileNotFound { .. } => "profile-not-found",
            Error::ProfileExists { .. } => "profile-exists",
            Error::ConfigIo { .. } => "config-io",
            Error::UnsafeFolder { .. } => "unsafe-folder",
            Error::SessionEnded { .. } => "launch-session-ended",
            Error::StartTimeout { .. } => "launch-start-timeout",
            Error::AppNotOffered { .. } => "launch-app-not-offered",
            Error::AppNotWeb { .. } => "launch-app-not-web",
            Error::TunnelOpen(_) => "launch-tunnel-open",
            Error::AppNotReady { .. } => "launch-app-not-ready",
            Error::AppFailed { .. } => "launch-app-failed",
            Error::LaunchCancelled { .. } => "launch-cancelled",
            Error::NotOwnSession { .. } => "not-own-session",
            Error::NoDefaultProfile => "no-default-profile",
            Error::NoNotebookImage => "no-notebook-image",
            Error::LaunchNotKnown { .. } => "not-found",
            Error::Internal { .. } => "internal",
            Error::NotInHistory { .. } => "not-in-history",
            Error::AgainNameTaken { .. } => "session-name-taken",
            Error::Ssh { .. } => "ssh",
            Error::ProgramMissing { .. } => "program-missing",
            Error::LinkRefused { .. } => "link-refused",
        }
    }

    /// Whether a login was refused by the server for what the user gave (wrong email or
    /// password or code, a code missing, two-factor setup or a new password needed, the
    /// concurrent-login limit), as opposed to not reaching it: a refused login must not leave a
    /// new profile behind, while an unreachable server may (profiles are managed offline).
    pub fn is_login_refusal(&self) -> bool {
        matches!(
            self,
            Error::AuthFailed { .. }
                | Error::OtpRequired
                | Error::TotpRegistrationRequired
                | Error::PasswordExpired
                | Error::ActiveLoginSessionExists { .. }
        )
    }

    /// Whether retrying the same request later may succeed (network trouble, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Server { .. }
                | Error::Unavailable { .. }
                | Error::ConnectionRefused { .. }
                | Error::Timeout { .. }
                | Error::Network { .. }
                | Error::EventStream { .. }
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_says_by_how_much() {
        let e = Error::ClockSkew {
            skew_secs: Some(17 * 60 + 5),
        };
        assert_eq!(e.code(), "clock-skew");
        assert!(e.to_string().contains("17 minutes ahead of"), "{e}");
        let e = Error::ClockSkew {
            skew_secs: Some(-3 * 3600),
        };
        assert!(e.to_string().contains("3 hours behind"), "{e}");
    }

    #[test]
    fn rate_limit_names_the_window() {
        let e = Error::RateLimited {
            window_secs: Some(900),
            limit: Some(1000),
        };
        assert!(
            e.to_string().contains("1000 requests per 15 minutes"),
            "{e}"
        );
    }
}
