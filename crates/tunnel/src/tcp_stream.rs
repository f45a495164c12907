//! One TCP byte stream to a session's app over the signed tcpproxy WebSocket, with no local
//! listener: what an SSH `ProxyCommand` (`bai ssh-proxy`) needs. It opens the WebSocket the way
//! the HTTP tunnel does ([`relay::connect`]: the same client, signing, TLS trust and error
//! classes) and pumps bytes between it and any reader/writer pair (stdin/stdout).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bai_core::client::Client;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::config::TunnelConfig;
use crate::relay::{self, ConnectError};
use crate::stats::Counters;
use crate::wsio::WsIo;

/// Open the app's stream (`/stream/session/{session}/tcpproxy?app={app}`). A close with 1013
/// right after the upgrade (the app not listening yet) shows up as an empty stream.
pub async fn open(
    client: &Client,
    session: &str,
    app: &str,
    config: &TunnelConfig,
) -> Result<WsIo, ConnectError> {
    let ws = relay::connect(client, session, app, config).await?;
    Ok(WsIo::new(
        ws,
        config.chunk_bytes,
        config.ping_interval,
        Arc::new(Counters::default()),
    ))
}

/// Copy `local_in` to the stream and the stream to `local_out` until both directions end.
/// The end of `local_in` closes the WebSocket (the protocol has no half-close); the end of
/// the stream shuts `local_out`. Once the local side has ended, a server that drops the
/// connection instead of answering the close is taken as the end of the stream. Returns the
/// bytes sent and received.
pub async fn pipe<R, W>(
    stream: WsIo,
    mut local_in: R,
    mut local_out: W,
) -> std::io::Result<(u64, u64)>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (mut from_ws, mut to_ws) = tokio::io::split(stream);
    let local_done = AtomicBool::new(false);
    let up = async {
        let n = tokio::io::copy(&mut local_in, &mut to_ws).await?;
        local_done.store(true, Ordering::SeqCst);
        to_ws.shutdown().await?;
        Ok::<u64, std::io::Error>(n)
    };
    let down = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut n = 0u64;
        loop {
            match from_ws.read(&mut buf).await {
                Ok(0) => break,
                Ok(k) => {
                    local_out.write_all(&buf[..k]).await?;
                    local_out.flush().await?;
                    n += k as u64;
                }
                Err(_) if local_done.load(Ordering::SeqCst) => break,
                Err(e) => return Err(e),
            }
        }
        let _ = local_out.shutdown().await;
        Ok::<u64, std::io::Error>(n)
    };
    let (up, down) = tokio::join!(up, down);
    Ok((up?, down?))
}
