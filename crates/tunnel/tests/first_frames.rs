//! The first frames of a WebSocket through the tunnel. JupyterLab's front end sends a kernel
//! `execute_request` as soon as the kernel socket opens, a browser may put a request and the
//! first frame in one segment or send the frame before it has read the `101`, and an app may
//! send its first message in the same write as its `101`. A frame lost or reordered there is
//! a notebook cell that silently never runs, so every one must arrive, in order, every time.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bai_core::client::{Client, ClientConfig, Credentials, login};
use bai_core::{Endpoint, EndpointKind};
use bai_secrets::Secret;
use bai_testkit::{ADMIN_EMAIL, ADMIN_PASSWORD};
use bai_tunnel::{Tunnel, TunnelConfig, TunnelHandle};
use common::http::authorize;
use common::jupyter::{Lab, execute_request, execute_result, lab};
use common::ws::{FirstFrames, open, server_text};
use common::{kit, running_session, setup_with};
use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

/// How long one frame may take before it counts as lost (generous: CI machines are shared).
const FRAME_WITHIN: Duration = Duration::from_secs(20);

/// An app that answers an upgrade as a busy server can: its `101` and its first message
/// (`hello`) in one write; then it echoes every message. Whatever the client sent along with
/// its request is kept, as a server must.
async fn eager_echo_app() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(eager_echo(sock));
        }
    });
    addr
}

async fn eager_echo(mut sock: TcpStream) {
    let _ = sock.set_nodelay(true);
    let mut buf = Vec::new();
    let (rest, key) = loop {
        let mut chunk = [0u8; 4096];
        // The tunnel's spare WebSockets open connections that may never send a request.
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        let mut h = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut h);
        if let Ok(httparse::Status::Complete(len)) = req.parse(&buf) {
            let key = req
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-key"))
                .map(|h| h.value.to_vec())
                .expect("an upgrade request");
            break (buf[len..].to_vec(), key);
        }
    };
    let mut answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(&key)
    )
    .into_bytes();
    answer.extend(server_text("hello"));
    if sock.write_all(&answer).await.is_err() {
        return;
    }
    let mut ws = WebSocketStream::from_partially_read(sock, rest, Role::Server, None).await;
    while let Some(Ok(m)) = ws.next().await {
        if m.is_close() || (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
            return;
        }
    }
}

async fn next_text(ws: &mut WebSocketStream<TcpStream>, what: &str) -> String {
    match tokio::time::timeout(FRAME_WITHIN, ws.next()).await {
        Err(_) => panic!("{what} never arrived (lost in the tunnel?)"),
        Ok(None) => panic!("the WebSocket closed before {what}"),
        Ok(Some(Err(e))) => panic!("the WebSocket failed before {what}: {e}"),
        Ok(Some(Ok(Message::Text(t)))) => t.as_str().to_owned(),
        Ok(Some(Ok(other))) => panic!("{what}: expected a text message, got {other:?}"),
    }
}

/// One connection: five messages sent `when` told, then `hello` and the five back, in order.
async fn echo_once(addr: SocketAddr, headers: String, when: FirstFrames, tag: String) {
    let first: Vec<String> = (0..5).map(|i| format!("{tag}/{i}")).collect();
    let mut ws = open(addr, "/ws", &headers, &first, when).await;
    assert_eq!(
        next_text(&mut ws, &format!("{tag}: the app's first message")).await,
        "hello"
    );
    for m in &first {
        let got = next_text(&mut ws, &format!("{tag}: the echo of {m}")).await;
        assert_eq!(&got, m, "{tag} ({when:?}): out of order or altered");
    }
    let _ = ws.close(None).await;
}

/// 30 connections one after another, then 30 at once, each way of sending the first frames.
async fn echo_many(tunnel: &TunnelHandle, cookie: &str) {
    let addr = tunnel.local_addr();
    let headers = format!("Cookie: {cookie}\r\nOrigin: http://{addr}\r\n");
    for round in 0..10 {
        for when in FirstFrames::ALL {
            echo_once(addr, headers.clone(), when, format!("seq{round}-{when:?}")).await;
        }
    }
    join_all((0..30).map(|i| {
        echo_once(
            addr,
            headers.clone(),
            FirstFrames::ALL[i % 3],
            format!("par{i}"),
        )
    }))
    .await;
    assert_eq!(tunnel.stats().errors, 0, "{:?}", tunnel.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_sent_with_the_upgrade_or_the_101_arrive_whole_and_in_order() {
    let s = setup_with(TunnelConfig::default(), eager_echo_app().await).await;
    echo_many(&s.tunnel, &s.cookie).await;
}

/// `close()` ends upgraded connections too: a notebook window's kernel WebSocket does not
/// outlive the tunnel of a session that was ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_tunnel_ends_its_websockets() {
    let s = setup_with(TunnelConfig::default(), eager_echo_app().await).await;
    let addr = s.tunnel.local_addr();
    let headers = format!("Cookie: {}\r\nOrigin: http://{addr}\r\n", s.cookie);
    let mut ws = open(addr, "/ws", &headers, &[], FirstFrames::AfterThe101).await;
    assert_eq!(next_text(&mut ws, "the app's first message").await, "hello");
    s.tunnel.close();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the WebSocket outlived the tunnel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_through_the_webserver() {
    let kit = kit().await;
    kit.control()
        .set_app_target("jupyter", eager_echo_app().await);
    let mut cfg = ClientConfig::new(
        Endpoint::parse(&kit.webserver_url()).expect("endpoint"),
        EndpointKind::Webserver,
    );
    cfg.timeout = Duration::from_secs(20);
    let out = login(&cfg, ADMIN_EMAIL, &Secret::new(ADMIN_PASSWORD).into(), None)
        .await
        .expect("login");
    let client = Client::new(cfg, Credentials::login_session(out.session_id)).expect("client");
    let id = running_session(&client).await;
    let tunnel = Tunnel::start(client, &id, "jupyter", TunnelConfig::default())
        .await
        .expect("tunnel");
    let cookie = authorize(tunnel.auth_url().expose()).await;
    echo_many(&tunnel, &cookie).await;
    assert!(
        kit.control()
            .requests()
            .iter()
            .any(|r| r.via == "webserver" && r.path.contains("/tcpproxy?app=jupyter")),
        "the tunnel went through the webserver"
    );
}

/// One kernel connection: `1+1` sent `when` told; its `execute_result` must be `2`.
async fn one_plus_one(lab: &Lab, kernel: &str, when: FirstFrames, tag: String) {
    let msg_id = format!("first-frames-{tag}");
    let first = [execute_request(&msg_id, "1+1")];
    let path = Lab::channels_path(kernel);
    let mut ws = open(lab.addr, &path, &lab.ws_headers(), &first, when).await;
    // A kernel still starting answers after its start: the bound is for the whole run.
    let result = execute_result(&mut ws, &msg_id, Duration::from_secs(90)).await;
    assert_eq!(result, "2", "{tag} ({when:?})");
    let _ = ws.close(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kernel_execute_sent_right_at_the_upgrade_runs_every_time() {
    let Some(lab) = lab().await else { return };
    // A notebook just opened: its kernel is still starting when the first execute arrives.
    for when in FirstFrames::ALL {
        let kernel = lab.start_kernel().await;
        one_plus_one(&lab, &kernel, when, format!("fresh-{when:?}")).await;
    }
    // Then 50 more connections to one kernel: 30 one after another, 20 at once.
    let kernel = lab.start_kernel().await;
    for round in 0..10 {
        for when in FirstFrames::ALL {
            one_plus_one(&lab, &kernel, when, format!("seq{round}-{when:?}")).await;
        }
    }
    join_all(
        (0..20).map(|i| one_plus_one(&lab, &kernel, FirstFrames::ALL[i % 3], format!("par{i}"))),
    )
    .await;
    let stats = lab.ready.tunnel.stats();
    assert_eq!(stats.errors, 0, "{stats:?}");
    lab.shutdown().await;
}
