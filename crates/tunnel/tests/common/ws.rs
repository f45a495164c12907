//! A WebSocket client opened by hand, so that a test decides exactly when its first frames go
//! out relative to the upgrade: in the same write as the request, before the `101` is read, or
//! after it. Browsers do all three (JupyterLab sends a kernel message as soon as the socket
//! opens; a request and its first frame can share one TCP segment).
#![allow(dead_code)]

use std::net::SocketAddr;

use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// When the client's first messages leave, relative to the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFrames {
    /// In the same write as the request head (one TCP segment on loopback).
    WithTheRequest,
    /// In writes of their own, right after the head and before the `101` is read.
    BeforeThe101,
    /// As soon as the `101` has been read.
    AfterThe101,
}

impl FirstFrames {
    pub const ALL: [FirstFrames; 3] = [
        FirstFrames::WithTheRequest,
        FirstFrames::BeforeThe101,
        FirstFrames::AfterThe101,
    ];
}

/// One client text frame, masked as a client must send it.
pub fn masked_text(text: &str) -> Vec<u8> {
    let header = FrameHeader {
        opcode: OpCode::Data(Data::Text),
        mask: Some(rand::random()),
        ..FrameHeader::default()
    };
    let mut out = Vec::new();
    Frame::from_payload(header, text.to_owned().into())
        .format(&mut out)
        .expect("frame to memory");
    out
}

/// One server text frame (unmasked).
pub fn server_text(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    Frame::message(text.to_owned(), OpCode::Data(Data::Text), true)
        .format(&mut out)
        .expect("frame to memory");
    out
}

/// Upgrade `path` at `addr` (with `headers`, each line ending in CRLF) and send `first` as
/// told; returns the open stream, with whatever the server sent along with its `101`.
pub async fn open(
    addr: SocketAddr,
    path: &str,
    headers: &str,
    first: &[String],
    when: FirstFrames,
) -> WebSocketStream<TcpStream> {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let key = generate_key();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n{headers}\r\n"
    );
    match when {
        FirstFrames::WithTheRequest => {
            let mut out = head.into_bytes();
            for m in first {
                out.extend(masked_text(m));
            }
            tcp.write_all(&out).await.expect("request and frames");
        }
        FirstFrames::BeforeThe101 => {
            tcp.write_all(head.as_bytes()).await.expect("request");
            for m in first {
                tcp.write_all(&masked_text(m)).await.expect("frame");
            }
        }
        FirstFrames::AfterThe101 => tcp.write_all(head.as_bytes()).await.expect("request"),
    }

    let mut buf = Vec::with_capacity(4096);
    let rest = loop {
        let mut chunk = [0u8; 4096];
        let n = tcp.read(&mut chunk).await.expect("read the answer");
        assert!(
            n > 0,
            "closed before the upgrade was answered: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
        let mut h = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut h);
        if let httparse::Status::Complete(len) = resp.parse(&buf).expect("an HTTP answer") {
            assert_eq!(
                resp.code,
                Some(101),
                "upgrade refused: {}",
                String::from_utf8_lossy(&buf)
            );
            let accept = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
                .map(|h| h.value.to_vec());
            assert_eq!(
                accept.as_deref(),
                Some(derive_accept_key(key.as_bytes()).as_bytes()),
                "the 101 answers another handshake"
            );
            break buf[len..].to_vec();
        }
    };
    let mut ws = WebSocketStream::from_partially_read(tcp, rest, Role::Client, None).await;
    if when == FirstFrames::AfterThe101 {
        for m in first {
            ws.send(Message::Text(m.clone().into()))
                .await
                .expect("first frame");
        }
    }
    ws
}
