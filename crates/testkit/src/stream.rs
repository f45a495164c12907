//! `/stream/session/{id}/tcpproxy` and `/httpproxy`: a WebSocket carrying raw TCP bytes in
//! binary frames, to the app's target (a configured TCP address, or the Unix socket of the
//! JupyterLab process).

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Extension;
use axum::extract::ws::{
    CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::problem::{ApiResult, Problem};
use crate::sessions::Status;
use crate::sessions::rest::lookup;
use crate::state::{AppState, Caller};

const TRY_AGAIN_LATER: u16 = 1013;
const GOING_AWAY: u16 = 1001;

#[derive(Debug, Deserialize)]
pub struct ProxyQuery {
    app: Option<String>,
    service: Option<String>,
}

/// Where a tunnel's bytes go.
enum Target {
    /// A server a test started (`Control::set_app_target`).
    Tcp(SocketAddr),
    /// The testkit's own JupyterLab, which has no TCP port.
    Unix(PathBuf),
}

/// How one tunnel behaves, decided before the upgrade.
struct Plan {
    target: Option<Target>,
    reject: bool,
    drop_after: Option<u64>,
}

pub async fn proxy(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(q): Query<ProxyQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let app = q
        .app
        .or(q.service)
        .ok_or_else(|| Problem::invalid_api_params("app: this field is required"))?;
    let session = lookup(&state, &name, &caller.access_key)?;
    if !session.service_ports.iter().any(|p| p.name == app) {
        return Err(
            Problem::new(StatusCode::NOT_FOUND, "object-not-found", "No such app.")
                .code("session_read_not-found")
                .msg(format!("AppNotFound: {app}")),
        );
    }
    if session.status != Status::Running {
        return Err(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-server-error",
            "Failed to launch the app service",
        )
        .msg(format!("the session is {}, not RUNNING", session.status)));
    }
    let ws = ws.map_err(|e| {
        Problem::invalid_api_params(format!("a WebSocket upgrade is required: {e}"))
    })?;
    let (configured, reject, drop_after) = {
        let mut w = state.world();
        let reject = w.reject_first > 0;
        if reject {
            w.reject_first -= 1;
        }
        (w.app_targets.get(&app).copied(), reject, w.drop_after_bytes)
    };
    let target = match configured {
        Some(t) => Some(Target::Tcp(t)),
        None if !reject && (app == "jupyter" || app == "jupyterlab") => {
            match state.jupyter.ensure_started().await {
                Ok(socket) => Some(Target::Unix(socket)),
                Err(e) => {
                    tracing::warn!("{e}");
                    return Err(Problem::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal-server-error",
                        "Failed to launch the app service",
                    )
                    .msg(e));
                }
            }
        }
        None if !reject && app == "sshd" => {
            match crate::sshd::sshd_target(&state, session.id, &caller.access_key).await {
                Ok(addr) => Some(Target::Tcp(addr)),
                Err(e) => {
                    tracing::warn!("{e}");
                    return Err(Problem::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal-server-error",
                        "Failed to launch the app service",
                    )
                    .msg(e));
                }
            }
        }
        None => None,
    };
    let plan = Plan {
        target,
        reject,
        drop_after,
    };
    // The connection counts as app activity for the idle checker until it closes.
    let activity = crate::idle::connection_opened(&state, session.id);
    Ok(ws.on_upgrade(move |socket| async move {
        relay(socket, plan).await;
        drop(activity);
    }))
}

async fn close(mut ws: WebSocket, code: u16, reason: &str) {
    let _ = ws
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
    // Let the client's close reply arrive so the close is clean.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while let Some(Ok(_)) = ws.recv().await {}
    })
    .await;
}

async fn relay(ws: WebSocket, plan: Plan) {
    if plan.reject {
        return close(ws, TRY_AGAIN_LATER, "rejected by testkit fault").await;
    }
    match plan.target {
        None => close(ws, TRY_AGAIN_LATER, "no target for this app").await,
        Some(Target::Tcp(addr)) => match TcpStream::connect(addr).await {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                let (r, w) = tcp.into_split();
                pump(ws, r, w, plan.drop_after).await;
            }
            Err(_) => close(ws, TRY_AGAIN_LATER, "connection refused").await,
        },
        Some(Target::Unix(path)) => match UnixStream::connect(path).await {
            Ok(unix) => {
                let (r, w) = unix.into_split();
                pump(ws, r, w, plan.drop_after).await;
            }
            Err(_) => close(ws, TRY_AGAIN_LATER, "connection refused").await,
        },
    }
}

/// Copies bytes both ways until either side closes, or the byte budget is spent.
async fn pump<R, W>(ws: WebSocket, mut app_r: R, mut app_w: W, mut budget: Option<u64>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let mut buf = vec![0u8; 64 * 1024];
    // Returns how much of `n` bytes may pass, and whether the budget is now spent.
    let mut take = |n: usize| -> (usize, bool) {
        match budget.as_mut() {
            None => (n, false),
            Some(left) => {
                let k = (*left).min(n as u64);
                *left -= k;
                (k as usize, *left == 0)
            }
        }
    };
    loop {
        tokio::select! {
            r = app_r.read(&mut buf) => match r {
                Ok(0) | Err(_) => {
                    let _ = sink.send(Message::Close(Some(CloseFrame {
                        code: GOING_AWAY, reason: "".into() }))).await;
                    return;
                }
                Ok(n) => {
                    let (k, spent) = take(n);
                    if k > 0 && sink.send(Message::Binary(Bytes::copy_from_slice(&buf[..k]))).await.is_err() {
                        return;
                    }
                    if spent {
                        // Abrupt: drop the socket without a close frame.
                        return;
                    }
                }
            },
            m = stream.next() => match m {
                Some(Ok(Message::Binary(b))) => {
                    let (k, spent) = take(b.len());
                    if app_w.write_all(&b[..k]).await.is_err() {
                        let _ = sink.send(Message::Close(Some(CloseFrame {
                            code: GOING_AWAY, reason: "".into() }))).await;
                        return;
                    }
                    if spent {
                        return;
                    }
                }
                // Text frames carry nothing; pings are answered by the WebSocket layer.
                Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) => {
                    // Answer the close (the reply is queued; closing sends it), as aiohttp does.
                    let _ = app_w.shutdown().await;
                    let _ = sink.close().await;
                    return;
                }
                Some(Err(_)) | None => {
                    let _ = app_w.shutdown().await;
                    return;
                }
            },
        }
    }
}
