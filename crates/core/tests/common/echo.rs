//! A tunnel opener for tests of what sits above the tunnel: its probe goes over a real signed
//! WebSocket to the testkit, which forwards to a TCP echo server (the app); the real tunnel
//! crate is tested against the same in crates/tunnel/tests/launch.rs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bai_core::client::{Client, ProxyKind};
use bai_core::launch::{AppTunnel, ProbeOutcome, TunnelOpener, TunnelStats};
use bai_secrets::Secret;
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[derive(Debug, Default)]
pub struct EchoOpener {
    pub probes: Arc<AtomicU32>,
    /// How many of its tunnels were closed.
    pub closed: Arc<AtomicU32>,
}

#[derive(Debug)]
pub struct EchoTunnel {
    client: Client,
    session: String,
    app: String,
    probes: Arc<AtomicU32>,
    closed: Arc<AtomicU32>,
}

impl TunnelOpener for EchoOpener {
    fn open<'a>(
        &'a self,
        client: &'a Client,
        session_id: &'a str,
        app: &'a str,
    ) -> BoxFuture<'a, Result<Arc<dyn AppTunnel>, String>> {
        Box::pin(async move {
            Ok(Arc::new(EchoTunnel {
                client: client.clone(),
                session: session_id.to_owned(),
                app: app.to_owned(),
                probes: self.probes.clone(),
                closed: self.closed.clone(),
            }) as Arc<dyn AppTunnel>)
        })
    }
}

impl AppTunnel for EchoTunnel {
    fn local_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9))
    }
    fn auth_url(&self) -> Secret {
        Secret::new("http://127.0.0.1:9/")
    }
    fn stats(&self) -> TunnelStats {
        TunnelStats::default()
    }
    fn close(&self) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
    fn probe(&self) -> BoxFuture<'_, ProbeOutcome> {
        Box::pin(async move {
            self.probes.fetch_add(1, Ordering::SeqCst);
            let req = match self
                .client
                .tunnel_request(&self.session, &self.app, None, ProxyKind::Tcp)
                .await
            {
                Ok(r) => r,
                Err(e) => return ProbeOutcome::Failed(e.to_string()),
            };
            let mut http = req.url.as_str().into_client_request().expect("request");
            http.headers_mut().extend(req.headers);
            let Ok((mut ws, _)) = tokio_tungstenite::connect_async(http).await else {
                return ProbeOutcome::NotYet("upgrade failed".into());
            };
            if ws.send(Message::binary(b"ping".to_vec())).await.is_err() {
                return ProbeOutcome::NotYet("send failed".into());
            }
            loop {
                match ws.next().await {
                    Some(Ok(Message::Binary(b))) if &b[..] == b"ping" => {
                        return ProbeOutcome::Ready;
                    }
                    Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Again => {
                        return ProbeOutcome::NotYet("1013".into());
                    }
                    Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => {}
                    other => return ProbeOutcome::NotYet(format!("{other:?}")),
                }
            }
        })
    }
}

pub async fn echo_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = sock.read(&mut buf).await {
                    if n == 0 || sock.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}
