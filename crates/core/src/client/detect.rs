//! Which kind of Backend.AI endpoint is this: the manager API, or the web UI's server?

use reqwest::Method;
use serde_json::Value;

use super::api::{Call, Client};
use super::body::{MAX_ERROR_BODY_BYTES, read_capped};
use super::config::{ClientConfig, Credentials, TlsOptions};
use crate::endpoint::{Endpoint, EndpointKind};
use crate::error::{Error, Result};
use crate::version::ApiVersion;

/// What [`detect`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The endpoint that answered: the origin when a pasted web UI page address was given.
    pub endpoint: Endpoint,
    pub kind: EndpointKind,
    /// The server's newest API version, when it told.
    pub version: Option<ApiVersion>,
    pub manager_version: Option<String>,
    /// The path of the address asked about when the server answered only at its origin (a
    /// pasted web UI page such as `/summary`): the endpoint to store is [`Self::endpoint`],
    /// without it. `None` when the address answered as given, path prefix and all.
    pub dropped_path: Option<String>,
}

impl Detected {
    /// One line for people when a path was dropped, the same in `bai detect`, `bai profile
    /// add` and wherever else an address is checked, so a path is never lost silently.
    pub fn path_note(&self) -> Option<String> {
        self.dropped_path.as_ref().map(|path| {
            format!(
                "the path {path} is not part of the endpoint (nothing answers as Backend.AI under it; the server does at {}), so it is left out",
                self.endpoint
            )
        })
    }
}

/// Probe `endpoint`: `GET /` answering version JSON → the API; else `GET /func/` answering
/// version JSON or `POST /server/login-check` answering JSON → the webserver. A pasted web UI
/// address with a page path is retried at its origin.
pub async fn detect(endpoint: &Endpoint, tls: &TlsOptions) -> Result<Detected> {
    detect_with(&ClientConfig::new(endpoint.clone(), EndpointKind::Api).with_tls(tls)).await
}

/// [`detect`] with the timeouts and user agent of `config` (its `kind` is ignored).
pub async fn detect_with(config: &ClientConfig) -> Result<Detected> {
    let mut candidates = vec![config.endpoint.clone()];
    if !config.endpoint.path_prefix().is_empty() {
        candidates.push(config.endpoint.origin());
    }
    let mut seen = Vec::new();
    for endpoint in candidates {
        let mut cfg = config.clone();
        cfg.endpoint = endpoint.clone();
        cfg.kind = EndpointKind::Api;
        let api = Client::new(cfg.clone(), Credentials::Anonymous)?;
        let root = probe(&api, Method::GET, "/").await?;
        if let Some(d) = as_version(&root, &endpoint, EndpointKind::Api) {
            return Ok(with_dropped(d, config));
        }
        let func = probe(&api, Method::GET, "/func/").await?;
        if let Some(d) = as_version(&func, &endpoint, EndpointKind::Webserver) {
            return Ok(with_dropped(d, config));
        }
        let check = probe(&api, Method::POST, "/server/login-check").await?;
        if check
            .json
            .as_ref()
            .is_some_and(|v| v.get("authenticated").is_some())
        {
            return Ok(Detected {
                dropped_path: dropped(config, &endpoint),
                endpoint,
                kind: EndpointKind::Webserver,
                version: None,
                manager_version: None,
            });
        }
        seen.push(format!(
            "at {endpoint}: GET / {}, GET /func/ {}, POST /server/login-check {}",
            root.describe(),
            func.describe(),
            check.describe()
        ));
    }
    Err(Error::NotBackendAi {
        url: config.endpoint.to_string(),
        detail: seen.join("; "),
    })
}

struct Probe {
    status: u16,
    html: bool,
    json: Option<Value>,
}

impl Probe {
    fn describe(&self) -> String {
        match (&self.json, self.html) {
            (Some(_), _) => format!("returned JSON without a version ({})", self.status),
            (None, true) => format!("returned an HTML page ({})", self.status),
            (None, false) => format!("returned {}", self.status),
        }
    }
}

async fn probe(client: &Client, method: Method, path: &str) -> Result<Probe> {
    let mut call = Call::new(method.clone(), path).anonymous();
    if method == Method::POST {
        call = call.json(&serde_json::json!({}))?;
    }
    let mut response = client.send_raw(&call, false).await?;
    let status = response.status().as_u16();
    let ct = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = read_capped(
        &mut response,
        MAX_ERROR_BODY_BYTES,
        true,
        client.config().timeout,
    )
    .await
    .unwrap_or_default();
    let json = serde_json::from_slice::<Value>(&body)
        .ok()
        .filter(Value::is_object);
    let html = ct.contains("html") || body.trim_ascii_start().starts_with(b"<");
    Ok(Probe { status, html, json })
}

fn as_version(p: &Probe, endpoint: &Endpoint, kind: EndpointKind) -> Option<Detected> {
    if !(200..300).contains(&p.status) {
        return None;
    }
    let v = p.json.as_ref()?;
    let version: ApiVersion = v.get("version")?.as_str()?.parse().ok()?;
    Some(Detected {
        endpoint: endpoint.clone(),
        kind,
        version: Some(version),
        manager_version: v.get("manager").and_then(Value::as_str).map(str::to_owned),
        dropped_path: None,
    })
}

/// The asked-about path when `answered` is not the endpoint that was asked about.
fn dropped(config: &ClientConfig, answered: &Endpoint) -> Option<String> {
    (config.endpoint != *answered).then(|| config.endpoint.path_prefix().to_owned())
}

fn with_dropped(mut d: Detected, config: &ClientConfig) -> Detected {
    d.dropped_path = dropped(config, &d.endpoint);
    d
}
