//! A real JupyterLab behind the tunnel: HTTP and a kernel WebSocket through a local relay.
//! Skips (with a printed reason) when no `jupyter` is found.

mod common;

use std::time::Duration;

use bai_testkit::{Config, JupyterMode, Schedule, Status, TestKit};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// A minimal local proxy: one signed tunnel per accepted TCP connection.
async fn local_relay(base: String, rel_url: String) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let (base, rel) = (base.clone(), rel_url.clone());
            tokio::spawn(async move {
                let ws = common::open_ws(&base, &rel, &[]).await.expect("tunnel");
                let (mut sink, mut stream) = ws.split();
                let (mut r, mut w) = tcp.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 65536];
                    while let Ok(n) = r.read(&mut buf).await {
                        if n == 0
                            || sink
                                .send(Message::Binary(buf[..n].to_vec().into()))
                                .await
                                .is_err()
                        {
                            break;
                        }
                    }
                };
                let down = async move {
                    while let Some(Ok(m)) = stream.next().await {
                        if let Message::Binary(b) = m {
                            if w.write_all(&b).await.is_err() {
                                break;
                            }
                        } else if m.is_close() {
                            break;
                        }
                    }
                };
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    addr
}

#[tokio::test]
async fn jupyterlab_serves_http_and_runs_a_kernel_through_the_tunnel() {
    let Some(exe) = bai_testkit::find_jupyter() else {
        eprintln!(
            "SKIPPED: no jupyter executable (set {} or put jupyter on PATH)",
            bai_testkit::JUPYTER_ENV
        );
        return;
    };
    eprintln!("using {}", exe.display());
    let kit = TestKit::start(Config {
        jupyter: JupyterMode::Auto,
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    })
    .await
    .expect("start");
    let id = common::create(&kit, "lab-1").await;
    common::wait_status(&kit, "lab-1", Status::Running).await;
    let local = local_relay(
        kit.manager_url(),
        format!("/stream/session/{id}/tcpproxy?app=jupyterlab"),
    )
    .await;
    let http = common::client();
    let api: serde_json::Value = http
        .get(format!("http://{local}/api"))
        .send()
        .await
        .expect("GET /api")
        .json()
        .await
        .expect("json");
    assert!(api["version"].is_string(), "{api}");
    let lab = http
        .get(format!("http://{local}/lab"))
        .send()
        .await
        .expect("GET /lab");
    assert_eq!(lab.status().as_u16(), 200);

    let kernel: serde_json::Value = http
        .post(format!("http://{local}/api/kernels"))
        .json(&serde_json::json!({"name": "python3"}))
        .send()
        .await
        .expect("start kernel")
        .json()
        .await
        .expect("json");
    let kid = kernel["id"].as_str().expect("kernel id").to_owned();
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{local}/api/kernels/{kid}/channels")
        .into_client_request()
        .expect("req");
    req.headers_mut()
        .insert("Origin", format!("http://{local}").parse().expect("origin"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("kernel websocket through the tunnel");
    let msg_id = "testkit-exec-1";
    let exec = serde_json::json!({
        "header": {"msg_id": msg_id, "username": "t", "session": "s1", "msg_type": "execute_request", "version": "5.3", "date": chrono::Utc::now().to_rfc3339()},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": "print(6*7)", "silent": false, "store_history": false, "user_expressions": {}, "allow_stdin": false, "stop_on_error": true},
    });
    ws.send(Message::Text(exec.to_string().into()))
        .await
        .expect("send");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut out = String::new();
    while let Ok(Some(Ok(m))) = tokio::time::timeout_at(deadline, ws.next()).await {
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).expect("json");
            if v["msg_type"] == "stream" && v["parent_header"]["msg_id"] == msg_id {
                out.push_str(v["content"]["text"].as_str().unwrap_or(""));
                if out.contains("42") {
                    break;
                }
            }
        }
    }
    assert_eq!(out.trim(), "42");
    kit.shutdown().await;
}
