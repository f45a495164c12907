//! The tcpproxy tunnel relays raw bytes to a real TCP server, with its faults.

mod common;

use std::time::Duration;

use bai_testkit::{Config, Schedule, Status, TestKit};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// An echo server on a free port; returns its address.
async fn echo_server() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

async fn running_kit() -> (TestKit, String) {
    let kit = TestKit::start(Config {
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    })
    .await
    .expect("start");
    let id = common::create(&kit, "tun-1").await;
    common::wait_status(&kit, "tun-1", Status::Running).await;
    (kit, id)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Next data or close message, skipping pings/pongs.
async fn next(ws: &mut Ws) -> Option<Message> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("no answer in 5 s")
        {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => return Some(m),
            _ => return None,
        }
    }
}

#[tokio::test]
async fn relays_bytes_both_ways_and_closes_1001_on_tcp_eof() {
    let (kit, id) = running_kit().await;
    kit.control().set_app_target("ttyd", echo_server().await);
    let mut ws = common::open_ws(
        &kit.manager_url(),
        &format!("/stream/session/{id}/tcpproxy?app=ttyd"),
        &[],
    )
    .await
    .expect("upgrade");
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    ws.send(Message::Text("ignored".into()))
        .await
        .expect("send");
    ws.send(Message::Binary(payload.clone().into()))
        .await
        .expect("send");
    let mut got = Vec::new();
    while got.len() < payload.len() {
        match next(&mut ws).await {
            Some(Message::Binary(b)) => got.extend_from_slice(&b),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, payload);

    // A server that closes at once: the tunnel closes with 1001.
    let closer = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    kit.control()
        .set_app_target("sshd", closer.local_addr().expect("addr"));
    tokio::spawn(async move {
        let (mut s, _) = closer.accept().await.expect("accept");
        s.write_all(b"bye").await.expect("write");
    });
    let mut ws = common::open_ws(
        &kit.manager_url(),
        "/stream/session/tun-1/tcpproxy?app=sshd",
        &[],
    )
    .await
    .expect("upgrade");
    assert_eq!(
        next(&mut ws).await,
        Some(Message::Binary(b"bye".to_vec().into()))
    );
    match next(&mut ws).await {
        Some(Message::Close(Some(f))) => assert_eq!(f.code, CloseCode::Away),
        other => panic!("expected close 1001, got {other:?}"),
    }
}

#[tokio::test]
async fn refused_and_rejected_tunnels_close_with_1013() {
    let (kit, id) = running_kit().await;
    // Nothing listens there.
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    kit.control().set_app_target("ttyd", dead);
    let mut ws = common::open_ws(
        &kit.manager_url(),
        &format!("/stream/session/{id}/tcpproxy?app=ttyd"),
        &[],
    )
    .await
    .expect("upgrade");
    match next(&mut ws).await {
        Some(Message::Close(Some(f))) => assert_eq!(u16::from(f.code), 1013),
        other => panic!("expected 1013, got {other:?}"),
    }

    kit.control().set_app_target("ttyd", echo_server().await);
    kit.control().tcpproxy_reject_first(1);
    let mut ws = common::open_ws(
        &kit.manager_url(),
        &format!("/stream/session/{id}/httpproxy?app=ttyd"),
        &[],
    )
    .await
    .expect("upgrade");
    ws.send(Message::Binary(b"x".to_vec().into())).await.ok();
    match next(&mut ws).await {
        Some(Message::Close(Some(f))) => assert_eq!(u16::from(f.code), 1013),
        other => panic!("expected 1013, got {other:?}"),
    }
    // The second connection goes through.
    let mut ws = common::open_ws(
        &kit.manager_url(),
        &format!("/stream/session/{id}/tcpproxy?app=ttyd"),
        &[],
    )
    .await
    .expect("upgrade");
    ws.send(Message::Binary(b"ping".to_vec().into()))
        .await
        .expect("send");
    assert_eq!(
        next(&mut ws).await,
        Some(Message::Binary(b"ping".to_vec().into()))
    );
}

#[tokio::test]
async fn drop_after_bytes_cuts_the_socket_without_a_close_frame() {
    let (kit, id) = running_kit().await;
    kit.control().set_app_target("ttyd", echo_server().await);
    // 16 bytes up + 4 of the echo = the budget of 20.
    kit.control().tcpproxy_drop_after_bytes(Some(20));
    let mut ws = common::open_ws(
        &kit.manager_url(),
        &format!("/stream/session/{id}/tcpproxy?app=ttyd"),
        &[],
    )
    .await
    .expect("upgrade");
    ws.send(Message::Binary(b"0123456789abcdef".to_vec().into()))
        .await
        .expect("send");
    assert_eq!(
        next(&mut ws).await,
        Some(Message::Binary(b"0123".to_vec().into())),
        "only 4 echoed bytes fit the budget"
    );
    let end = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("ends");
    assert!(
        matches!(end, None | Some(Err(_))),
        "the socket drops without a close frame, got {end:?}"
    );
}

#[tokio::test]
async fn unknown_apps_and_sessions_are_404_and_webserver_tunnels_work() {
    let (kit, id) = running_kit().await;
    let r = common::send(
        &kit.manager_url(),
        "GET",
        &format!("/stream/session/{id}/tcpproxy?app=vscode"),
        None,
        &common::Sig::default(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 404);
    let r = common::send(
        &kit.manager_url(),
        "GET",
        "/stream/session/nope-1/tcpproxy?app=ttyd",
        None,
        &common::Sig::default(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 404);

    kit.control().set_app_target("ttyd", echo_server().await);
    let r = common::client()
        .post(format!("{}/server/login", kit.webserver_url()))
        .json(&serde_json::json!({"username": "admin@lablup.com", "password": "wJalrXUt"}))
        .send()
        .await
        .expect("login");
    let sid = r.headers()["x-backendai-sessionid"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let cookie = format!("AIOHTTP_SESSION={sid}");
    let mut ws = common::open_ws(
        &kit.webserver_url(),
        &format!("/func/stream/session/{id}/tcpproxy?app=ttyd"),
        &[("Cookie", &cookie)],
    )
    .await
    .expect("upgrade through the webserver");
    ws.send(Message::Binary(b"via-web".to_vec().into()))
        .await
        .expect("send");
    assert_eq!(
        next(&mut ws).await,
        Some(Message::Binary(b"via-web".to_vec().into()))
    );
}
