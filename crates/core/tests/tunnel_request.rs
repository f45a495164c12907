//! The signed WebSocket upgrade request opens a working tcpproxy tunnel on the testkit.

mod common;

use bai_core::client::{CreateSession, ProxyKind};
use common::echo::echo_server;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn running_session(client: &bai_core::client::Client) -> String {
    let created = client
        .create_session(&CreateSession::new(name("tun"), IMAGE))
        .await
        .expect("create");
    let mut updates = client.follow_session(&created.session_name, &created.session_id);
    while let Some(u) = updates.next().await {
        if u.expect("update").status.is_running() {
            return created.session_id;
        }
    }
    panic!("session never ran");
}

async fn roundtrip(req: bai_core::client::WsRequest) {
    let mut http_req = req.url.as_str().into_client_request().expect("request");
    http_req.headers_mut().extend(req.headers.clone());
    let (mut ws, _) = tokio_tungstenite::connect_async(http_req)
        .await
        .expect("upgrade accepted");
    ws.send(Message::binary(b"hello tunnel".to_vec()))
        .await
        .expect("send");
    let reply = loop {
        match ws.next().await.expect("a frame").expect("ws ok") {
            Message::Binary(b) => break b,
            _ => continue,
        }
    };
    assert_eq!(&reply[..], b"hello tunnel");
}

#[tokio::test]
async fn keypair_tunnel_request_is_accepted_and_relays_bytes() {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", echo_server().await);
    let client = keypair_client(&kit);
    let id = running_session(&client).await;
    let req = client
        .tunnel_request(&id, "jupyter", None, ProxyKind::Tcp)
        .await
        .expect("request");
    assert!(
        req.url.as_str().starts_with("ws://127.0.0.1:"),
        "{}",
        req.url
    );
    assert!(
        req.url.as_str().ends_with("/tcpproxy?app=jupyter"),
        "{}",
        req.url
    );
    assert!(!req.headers.contains_key("content-type"));
    let shown = format!("{req:?}");
    assert!(
        !shown.contains("credential="),
        "Debug must not show the signature: {shown}"
    );
    roundtrip(req).await;
}

#[tokio::test]
async fn webserver_tunnel_request_goes_through_func() {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", echo_server().await);
    let client = webserver_client(&kit).await;
    let id = running_session(&client).await;
    let req = client
        .tunnel_request(&id, "jupyter", None, ProxyKind::Tcp)
        .await
        .expect("request");
    assert!(
        req.url.path().starts_with("/func/stream/session/"),
        "{}",
        req.url
    );
    roundtrip(req).await;
}
