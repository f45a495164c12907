//! A real JupyterLab behind the tunnel: HTTP and a kernel WebSocket through a local relay.
//! Skips (with a printed reason) when no `jupyter` is found, and fails instead under CI.

mod common;

use std::time::Duration;

use bai_testkit::{Config, JupyterMode, Schedule, Status, TestKit};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn jupyterlab_serves_http_and_runs_a_kernel_through_the_tunnel() {
    if common::require_jupyter().is_none() {
        return;
    }
    let kit = TestKit::start(Config {
        jupyter: JupyterMode::Auto,
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    })
    .await
    .expect("start");
    let id = common::create(&kit, "lab-1").await;
    common::wait_status(&kit, "lab-1", Status::Running).await;
    let local = common::local_relay(
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
    // XSRF checks are on: send the token from JupyterLab's cookie, as its front end does.
    let xsrf = common::jupyter_xsrf(&http, &format!("http://{local}")).await;

    let kernel: serde_json::Value = http
        .post(format!("http://{local}/api/kernels"))
        .header("Cookie", format!("_xsrf={xsrf}"))
        .header("X-XSRFToken", &xsrf)
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
