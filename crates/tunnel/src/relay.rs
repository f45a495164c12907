//! The WebSocket side: open the signed upgrade, and probe the app once.

use std::time::Duration;

use bai_core::client::{Client, ProxyKind};
use bai_core::launch::ProbeOutcome;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::config::TunnelConfig;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why the WebSocket did not open.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Signing or building the request failed (credentials, version negotiation).
    #[error("{0}")]
    Request(#[from] bai_core::Error),
    #[error("the server answered the upgrade with HTTP {status}")]
    Status { status: u16 },
    #[error("the WebSocket did not open within {}s", .0.as_secs())]
    Timeout(Duration),
    #[error("WebSocket error: {0}")]
    Ws(String),
}

impl ConnectError {
    /// The [`bai_core::Error::Tls`] inside, when the TLS handshake failed.
    pub fn as_tls(&self) -> Option<(&str, &str)> {
        match self {
            ConnectError::Request(bai_core::Error::Tls { url, detail }) => Some((url, detail)),
            _ => None,
        }
    }

    /// Worth retrying soon: the app or the server is still starting. A TLS failure (unknown
    /// CA, name mismatch, expired) never is.
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectError::Status { status } => *status >= 500,
            ConnectError::Request(e) => e.is_transient(),
            ConnectError::Timeout(_) | ConnectError::Ws(_) => true,
        }
    }
}

/// Open one signed WebSocket to the app (a fresh signature each time).
pub async fn connect(
    client: &Client,
    session: &str,
    app: &str,
    config: &TunnelConfig,
) -> Result<Ws, ConnectError> {
    let timeout = config.connect_timeout;
    let req = client
        .tunnel_request(session, app, None, ProxyKind::Tcp)
        .await?;
    let mut http = req
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnectError::Ws(e.to_string()))?;
    http.headers_mut().extend(req.headers);
    // A larger read buffer takes whole 64 KiB frames (the manager's read size) in one go.
    // Caps: a malicious server cannot make us buffer without bound.
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(256 * 1024)
        .max_message_size(Some(config.max_ws_message))
        .max_frame_size(Some(config.max_ws_message));
    // The profile's TLS trust (its CA, skip-verify): the same config its HTTP calls use.
    let tls = Connector::Rustls(client.tls_config());
    let open =
        tokio_tungstenite::connect_async_tls_with_config(http, Some(ws_config), true, Some(tls));
    match tokio::time::timeout(timeout, open).await {
        Err(_) => Err(ConnectError::Timeout(timeout)),
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(resp))) => Err(ConnectError::Status {
            status: resp.status().as_u16(),
        }),
        Ok(Err(e)) => {
            let mut shown = req.url.clone();
            shown.set_query(None);
            match bai_core::client::tls_failure(&e, shown.as_str()) {
                Some(tls) => Err(ConnectError::Request(tls)),
                None => Err(ConnectError::Ws(e.to_string())),
            }
        }
    }
}

/// One readiness check: a `GET start_path` through a fresh WebSocket; any HTTP answer below
/// 500 means the app is up.
pub async fn probe(
    client: &Client,
    session: &str,
    app: &str,
    config: &TunnelConfig,
) -> ProbeOutcome {
    let start_path = &config.start_path;
    let mut ws = match connect(client, session, app, config).await {
        Ok(ws) => ws,
        Err(e) => {
            // A TLS failure (unknown CA, name mismatch, expired) ends the launch at once.
            if let Some((url, detail)) = e.as_tls() {
                return ProbeOutcome::Tls {
                    url: url.to_owned(),
                    detail: detail.to_owned(),
                };
            }
            return if e.is_transient() {
                ProbeOutcome::NotYet(e.to_string())
            } else {
                ProbeOutcome::Failed(e.to_string())
            };
        }
    };
    let request = format!(
        "GET {start_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bai-launcher-probe\r\nConnection: close\r\n\r\n"
    );
    if let Err(e) = ws.send(Message::Binary(Bytes::from(request))).await {
        return ProbeOutcome::NotYet(format!("the tunnel closed: {e}"));
    }
    let mut head = Vec::new();
    let outcome = loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => {
                head.extend_from_slice(&b);
                let mut headers = [httparse::EMPTY_HEADER; 64];
                let mut resp = httparse::Response::new(&mut headers);
                match resp.parse(&head) {
                    Ok(httparse::Status::Complete(_)) => {
                        let code = resp.code.unwrap_or(0);
                        break if code < 500 {
                            ProbeOutcome::Ready
                        } else {
                            ProbeOutcome::NotYet(format!("the app answered HTTP {code}"))
                        };
                    }
                    Ok(httparse::Status::Partial) if head.len() < 64 * 1024 => {}
                    _ => break ProbeOutcome::Ready,
                }
            }
            Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Again => {
                break ProbeOutcome::NotYet("the app is not listening yet (close 1013)".into());
            }
            Some(Ok(Message::Close(_))) | None => {
                break ProbeOutcome::NotYet("the tunnel closed before the app answered".into());
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => break ProbeOutcome::NotYet(format!("the tunnel failed: {e}")),
        }
    };
    let _ = ws.close(None).await;
    outcome
}
