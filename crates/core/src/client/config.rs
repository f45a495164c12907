//! What a [`Client`](super::Client) is built from: where to connect, how, and as whom.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

use crate::endpoint::{Endpoint, EndpointKind};

/// Connection settings of one profile. Build with [`ClientConfig::new`] and adjust fields.
#[derive(Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub kind: EndpointKind,
    /// Sent as `X-BackendAI-Domain`; the manager does not authenticate with it.
    pub domain: String,
    /// Limit for a whole request/response (not for event streams, which are long-lived).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// An extra trusted CA (PEM, may hold several certificates) for private clusters.
    pub ca_cert_pem: Option<Vec<u8>>,
    /// Skip TLS verification. A per-profile opt-in the UI must show as a warning.
    pub accept_invalid_certs: bool,
    pub user_agent: String,
}

impl ClientConfig {
    pub fn new(endpoint: Endpoint, kind: EndpointKind) -> Self {
        ClientConfig {
            endpoint,
            kind,
            domain: "default".into(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ca_cert_pem: None,
            accept_invalid_certs: false,
            user_agent: concat!("Backend.AI Launcher/", env!("CARGO_PKG_VERSION")).into(),
        }
    }

    /// The TLS part alone (what [`detect`](super::detect) needs).
    pub fn tls(&self) -> TlsOptions {
        TlsOptions {
            ca_cert_pem: self.ca_cert_pem.clone(),
            accept_invalid_certs: self.accept_invalid_certs,
        }
    }

    /// Copy the TLS settings from `tls`.
    pub fn with_tls(mut self, tls: &TlsOptions) -> Self {
        self.ca_cert_pem = tls.ca_cert_pem.clone();
        self.accept_invalid_certs = tls.accept_invalid_certs;
        self
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint.to_string())
            .field("kind", &self.kind)
            .field("domain", &self.domain)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("ca_cert_pem", &self.ca_cert_pem.as_ref().map(|p| p.len()))
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// TLS trust settings of a profile.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    pub ca_cert_pem: Option<Vec<u8>>,
    pub accept_invalid_certs: bool,
}

/// Who the client acts as. `Debug` never shows a secret (secrecy redacts it).
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Manager API mode: every request is HMAC-signed.
    Keypair {
        access_key: String,
        secret_key: SecretString,
    },
    /// Webserver mode: the login-session id from `POST /server/login`.
    LoginSession { session_id: SecretString },
    /// Only anonymous calls (version probe, login).
    Anonymous,
}

impl Credentials {
    pub fn keypair(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials::Keypair {
            access_key: access_key.into(),
            secret_key: SecretString::from(secret_key.into()),
        }
    }

    pub fn login_session(session_id: SecretString) -> Self {
        Credentials::LoginSession { session_id }
    }
}

/// How [`Client::follow_session`](super::Client::follow_session) watches a session.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// Poll interval once the event stream is given up.
    pub poll_interval: Duration,
    /// Give up the event stream (and poll) when it is silent this long. Buffering proxies
    /// hold events back, so a silent stream is not trusted forever.
    pub sse_idle_timeout: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            poll_interval: Duration::from_secs(1),
            sse_idle_timeout: Duration::from_secs(15),
        }
    }
}
