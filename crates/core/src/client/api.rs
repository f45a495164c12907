//! The [`Client`]: builds, signs and sends requests; negotiates the API version once.

use std::fmt;
use std::sync::Arc;

use chrono::Utc;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use super::body::{MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES, parse_json, read_capped};
use super::config::{ClientConfig, Credentials};
use super::problem::{AuthMode, ErrorContext, map_error_response};
use super::tls::rustls_config;
use super::transport::{http_client, map_transport_error};
use crate::endpoint::{EndpointKind, rel_url};
use crate::error::{Error, Result};
use crate::signing::{self, SignatureInput};
use crate::version::ApiVersion;

pub(crate) const HDR_VERSION: &str = "x-backendai-version";
pub(crate) const HDR_DOMAIN: &str = "x-backendai-domain";
pub(crate) const HDR_SESSION_ID: &str = "x-backendai-sessionid";
/// The webserver's login-session cookie name.
pub(crate) const SESSION_COOKIE: &str = "AIOHTTP_SESSION";

/// `GET /`: the server's newest API version and the manager's package version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: ApiVersion,
    #[serde(default)]
    pub manager: Option<String>,
}

/// A Backend.AI API client for one profile. Cheap to clone (shared connection pool and
/// negotiated version).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    credentials: Credentials,
    http: reqwest::Client,
    /// The profile's TLS trust, shared with the tunnel's WebSocket.
    tls: Arc<rustls::ClientConfig>,
    version: tokio::sync::OnceCell<ApiVersion>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.config.endpoint.to_string())
            .field("kind", &self.inner.config.kind)
            .field("auth", &self.auth_mode())
            .field("version", &self.inner.version.get())
            .finish()
    }
}

/// What a request carries, which decides the signed and sent `Content-Type`.
#[derive(Clone)]
pub(crate) enum Payload {
    /// No body: sends and signs `text/plain`.
    Empty,
    /// A JSON body: sends and signs `application/json`.
    Json(Vec<u8>),
    /// SSE or WebSocket: no `Content-Type` header; signs `application/octet-stream`.
    Stream,
}

// The body may hold a password (login): show only its size.
impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Empty => f.write_str("Empty"),
            Payload::Json(b) => write!(f, "Json({} bytes)", b.len()),
            Payload::Stream => f.write_str("Stream"),
        }
    }
}

/// One request to make, with what error messages should name.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    /// Manager path and query (`/session/x?forced=true`); `/func` is added in webserver mode.
    pub path: String,
    pub payload: Payload,
    /// Anonymous calls (version probe, login) need no version and no credentials.
    pub anonymous: bool,
    pub image: Option<String>,
    pub session_name: Option<String>,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Call {
            method,
            path: path.into(),
            payload: Payload::Empty,
            anonymous: false,
            image: None,
            session_name: None,
        }
    }

    pub fn json(mut self, body: &impl Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidInput {
            field: "request body".into(),
            reason: e.to_string(),
        })?;
        self.payload = Payload::Json(bytes);
        Ok(self)
    }

    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self
    }
}

impl Client {
    pub fn new(config: ClientConfig, credentials: Credentials) -> Result<Self> {
        let tls = rustls_config(&config.tls())?;
        let http = http_client(&config, &tls)?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                credentials,
                http,
                tls,
                version: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// Use `version` without asking the server (for servers whose `GET /` is blocked).
    pub fn with_api_version(
        config: ClientConfig,
        credentials: Credentials,
        version: ApiVersion,
    ) -> Result<Self> {
        let client = Client::new(config, credentials)?;
        let _ = client.inner.version.set(version);
        Ok(client)
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The rustls configuration of this profile's TLS settings (its CA, skip-verify): the same
    /// trust the HTTP calls use, for anything else that reaches the cluster (the tunnel's
    /// `wss://` WebSocket). Has no ALPN set.
    pub fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        self.inner.tls.clone()
    }

    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    pub(crate) fn auth_mode(&self) -> AuthMode {
        match self.inner.credentials {
            Credentials::Keypair { .. } => AuthMode::Keypair,
            Credentials::LoginSession { .. } => AuthMode::LoginSession,
            Credentials::Anonymous => AuthMode::Anonymous,
        }
    }

    /// `GET /` (webserver: `GET /func/`). Also fixes the negotiated version if not yet done;
    /// fails with `UnsupportedVersion` for servers older than this client supports.
    pub async fn server_info(&self) -> Result<ServerInfo> {
        let info = self.fetch_server_info().await?;
        let negotiated = ApiVersion::negotiate(info.version)?;
        let _ = self.inner.version.set(negotiated);
        Ok(info)
    }

    /// The version sent with every request: negotiated once, then cached.
    pub async fn api_version(&self) -> Result<ApiVersion> {
        self.inner
            .version
            .get_or_try_init(|| async {
                let info = self.fetch_server_info().await?;
                ApiVersion::negotiate(info.version)
            })
            .await
            .copied()
    }

    /// The anonymous version probe, without negotiation (which itself needs it).
    async fn fetch_server_info(&self) -> Result<ServerInfo> {
        let call = Call::new(Method::GET, "/").anonymous();
        let mut response = self.send_with_version(&call, None, false).await?;
        let status = response.status();
        let timeout = self.inner.config.timeout;
        if !status.is_success() {
            let body = read_capped(&mut response, MAX_ERROR_BODY_BYTES, true, timeout)
                .await
                .unwrap_or_default();
            let ctx = self.error_context(&call, None);
            return Err(map_error_response(
                status.as_u16(),
                response.headers(),
                &body,
                &ctx,
            ));
        }
        let body = read_capped(&mut response, MAX_BODY_BYTES, false, timeout).await?;
        parse_json(&body, "GET / (the version probe)")
    }

    /// The full URL of a manager path (`/func` added in webserver mode, except `/server/*`).
    pub(crate) fn url_for(&self, path: &str) -> Result<Url> {
        let full = match self.inner.config.kind {
            EndpointKind::Webserver if !path.starts_with("/server/") => format!("/func{path}"),
            _ => path.to_owned(),
        };
        self.inner.config.endpoint.join(&full)
    }

    /// The headers of a request to `url`: version, domain, date, content type and credentials.
    /// The signature covers exactly `rel_url(url)`, which is what goes on the wire.
    pub(crate) fn auth_headers(
        &self,
        method: &Method,
        url: &Url,
        payload: &Payload,
        version: Option<ApiVersion>,
    ) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        let (date_str, date) = signing::format_date(Utc::now());
        insert(&mut headers, reqwest::header::DATE, &date_str, false)?;
        insert(
            &mut headers,
            HeaderName::from_static(HDR_DOMAIN),
            &self.inner.config.domain,
            false,
        )?;
        let content_type = match payload {
            Payload::Empty => "text/plain",
            Payload::Json(_) => "application/json",
            Payload::Stream => signing::CONTENT_TYPE_NONE,
        };
        if !matches!(payload, Payload::Stream) {
            insert(
                &mut headers,
                reqwest::header::CONTENT_TYPE,
                content_type,
                false,
            )?;
        }
        let version_str = version.map(|v| v.to_string());
        if let Some(v) = &version_str {
            insert(&mut headers, HeaderName::from_static(HDR_VERSION), v, false)?;
        }
        match (&self.inner.credentials, &version_str) {
            (
                Credentials::Keypair {
                    access_key,
                    secret_key,
                },
                Some(v),
            ) => {
                let rel = rel_url(url);
                let host = self.inner.config.endpoint.host_line();
                let input = SignatureInput {
                    method: method.as_str(),
                    rel_url: &rel,
                    date_header: &date_str,
                    date,
                    host: &host,
                    content_type,
                    api_version: v,
                };
                let auth = signing::authorization(access_key, secret_key.expose_secret(), &input);
                insert(&mut headers, reqwest::header::AUTHORIZATION, &auth, true)?;
            }
            (Credentials::LoginSession { session_id }, _) => {
                let id = session_id.expose_secret();
                insert(
                    &mut headers,
                    HeaderName::from_static(HDR_SESSION_ID),
                    id,
                    true,
                )?;
                insert(
                    &mut headers,
                    reqwest::header::COOKIE,
                    &format!("{SESSION_COOKIE}={id}"),
                    true,
                )?;
            }
            _ => {}
        }
        Ok(headers)
    }

    fn error_context(&self, call: &Call, version: Option<ApiVersion>) -> ErrorContext {
        let mut ctx = ErrorContext::new(self.auth_mode(), call.method.as_str(), &call.path);
        ctx.api_version = version;
        ctx.image = call.image.clone();
        ctx.session_name = call.session_name.clone();
        ctx
    }

    /// Send `call` and return whatever status came back (transport failures are errors).
    /// `streaming` requests get no whole-request timeout (only the wait for the response head
    /// is bounded), since event streams live long.
    pub(crate) async fn send_raw(&self, call: &Call, streaming: bool) -> Result<reqwest::Response> {
        let version = if call.anonymous || matches!(self.inner.credentials, Credentials::Anonymous)
        {
            self.inner.version.get().copied()
        } else {
            Some(self.api_version().await?)
        };
        self.send_with_version(call, version, streaming).await
    }

    async fn send_with_version(
        &self,
        call: &Call,
        version: Option<ApiVersion>,
        streaming: bool,
    ) -> Result<reqwest::Response> {
        let url = self.url_for(&call.path)?;
        let mut headers = self.auth_headers(&call.method, &url, &call.payload, version)?;
        if call.anonymous {
            headers.remove(reqwest::header::AUTHORIZATION);
        }
        tracing::debug!(method = %call.method, path = %url.path(), "backend.ai request");
        let timeout = self.inner.config.timeout;
        let mut builder = self
            .inner
            .http
            .request(call.method.clone(), url.clone())
            .headers(headers);
        if let Payload::Json(bytes) = &call.payload {
            builder = builder.body(bytes.clone());
        }
        let response = if streaming {
            match tokio::time::timeout(timeout, builder.send()).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(Error::Timeout {
                        url: super::transport::display_url(&url),
                        after: timeout,
                    });
                }
            }
        } else {
            builder.timeout(timeout).send().await
        };
        response.map_err(|e| map_transport_error(&e, &url, timeout))
    }

    /// Send `call`; a non-2xx answer becomes the matching [`Error`].
    pub(crate) async fn execute(&self, call: Call, streaming: bool) -> Result<reqwest::Response> {
        let mut response = self.send_raw(&call, streaming).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = read_capped(
            &mut response,
            MAX_ERROR_BODY_BYTES,
            true,
            self.inner.config.timeout,
        )
        .await
        .unwrap_or_default();
        let ctx = self.error_context(&call, self.inner.version.get().copied());
        let err = map_error_response(status.as_u16(), response.headers(), &body, &ctx);
        tracing::debug!(
            status = status.as_u16(),
            code = err.code(),
            "backend.ai request failed"
        );
        Err(err)
    }

    /// Send `call` and decode a JSON answer (at most [`MAX_BODY_BYTES`]).
    pub(crate) async fn call_json<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let what = format!(
            "{} {}",
            call.method,
            call.path.split('?').next().unwrap_or_default()
        );
        let mut response = self.execute(call, false).await?;
        let body = read_capped(
            &mut response,
            MAX_BODY_BYTES,
            false,
            self.inner.config.timeout,
        )
        .await?;
        parse_json(&body, &what)
    }

    /// Send `call` and ignore the answer's body (beyond reading it, capped).
    pub(crate) async fn call_unit(&self, call: Call) -> Result<()> {
        let mut response = self.execute(call, false).await?;
        read_capped(
            &mut response,
            MAX_BODY_BYTES,
            true,
            self.inner.config.timeout,
        )
        .await?;
        Ok(())
    }
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str, sensitive: bool) -> Result<()> {
    let mut v = HeaderValue::from_str(value).map_err(|_| Error::InvalidInput {
        field: name.as_str().to_owned(),
        reason: "contains characters not allowed in an HTTP header".into(),
    })?;
    v.set_sensitive(sensitive);
    headers.insert(name, v);
    Ok(())
}

/// Percent-encode one query value the way the manager's URL parser reads it back.
pub(crate) fn encode_query_value(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
