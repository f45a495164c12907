//! The signed WebSocket upgrade request of the app tunnel
//! (`/stream/session/{id}/tcpproxy?app=`), for the tunnel crate to open.

use std::fmt;

use reqwest::Method;
use reqwest::header::HeaderMap;
use url::Url;

use super::api::{Client, Payload, encode_query_value};
use super::sessions::session_path;
use crate::error::{Error, Result};

/// Everything needed to open the tunnel WebSocket. The headers carry credentials and are
/// marked sensitive; `Debug` shows only their names.
#[derive(Clone)]
pub struct WsRequest {
    /// `ws://` or `wss://` URL; its path and query are exactly what was signed.
    pub url: Url,
    pub headers: HeaderMap,
}

impl fmt::Debug for WsRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsRequest")
            .field("url", &super::transport::display_url(&self.url))
            .field(
                "headers",
                &self.headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Which tunnel endpoint to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyKind {
    #[default]
    Tcp,
    Http,
}

impl Client {
    /// Build (and sign, with a fresh date) the upgrade request for one tunnel connection.
    /// Call it per connection: signatures are only valid for ±15 minutes.
    pub async fn tunnel_request(
        &self,
        session_id: &str,
        app: &str,
        port: Option<u16>,
        kind: ProxyKind,
    ) -> Result<WsRequest> {
        if app.trim().is_empty() {
            return Err(Error::InvalidInput {
                field: "app".into(),
                reason: "no app name given (e.g. jupyterlab)".into(),
            });
        }
        let endpoint = match kind {
            ProxyKind::Tcp => "tcpproxy",
            ProxyKind::Http => "httpproxy",
        };
        let mut path = format!(
            "/stream/session/{}/{endpoint}?app={}",
            session_path(session_id)?,
            encode_query_value(app)
        );
        if let Some(p) = port {
            path.push_str(&format!("&port={p}"));
        }
        let version = match self.credentials() {
            super::config::Credentials::Anonymous => None,
            _ => Some(self.api_version().await?),
        };
        let http_url = self.url_for(&path)?;
        let headers = self.auth_headers(&Method::GET, &http_url, &Payload::Stream, version)?;
        let mut url = http_url;
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme).map_err(|()| Error::InvalidInput {
            field: "endpoint".into(),
            reason: "cannot turn the endpoint into a WebSocket URL".into(),
        })?;
        Ok(WsRequest { url, headers })
    }
}
