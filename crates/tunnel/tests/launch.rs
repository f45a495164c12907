//! The launcher with the real tunnel injected: launch → ready → requests through the tunnel,
//! in keypair and webserver modes, and JupyterLab end to end (kernel over the tunnel).

mod common;

use std::sync::Arc;
use std::time::Duration;

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials, login};
use bai_core::launch::{LaunchRequest, Launcher, ReusePolicy};
use bai_core::{Endpoint, EndpointKind};
use bai_secrets::Secret;
use bai_testkit::{ADMIN_EMAIL, ADMIN_PASSWORD, Config, JupyterMode, Schedule};
use bai_tunnel::WsTunnelOpener;
use common::http::{Conn, app_server, authorize};
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn request(app: Option<&str>) -> LaunchRequest {
    let mut r = LaunchRequest::create(
        CreateSession::new(name("lnc"), IMAGE),
        ReusePolicy::CreateNew,
    );
    r.app = app.map(str::to_owned);
    r
}

async fn launch_and_get(client: Client, kit: &bai_testkit::TestKit) {
    kit.control().tcpproxy_reject_first(1);
    let launcher = Launcher::new(client, Arc::new(WsTunnelOpener::default()));
    let ready = launcher
        .launch(request(Some("jupyter")))
        .result()
        .await
        .expect("ready");
    assert!(ready.tunnel.local_addr().ip().is_loopback());
    let cookie = authorize(ready.auth_url().expose()).await;
    let mut c = Conn::open(ready.tunnel.local_addr(), Some(&cookie))
        .await
        .expect("connect");
    let r = c.get("/small", false).await.expect("through the tunnel");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    let st = ready.tunnel.stats();
    assert!(st.bytes_down > 0 && st.connections_total >= 2, "{st:?}");
}

#[tokio::test]
async fn a_keypair_launch_ends_with_a_working_private_tunnel() {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", app_server().await);
    launch_and_get(client(&kit), &kit).await;
}

#[tokio::test]
async fn a_webserver_launch_tunnels_through_func() {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", app_server().await);
    let mut cfg = ClientConfig::new(
        Endpoint::parse(&kit.webserver_url()).expect("endpoint"),
        EndpointKind::Webserver,
    );
    cfg.timeout = Duration::from_secs(20);
    let out = login(&cfg, ADMIN_EMAIL, &Secret::new(ADMIN_PASSWORD).into(), None)
        .await
        .expect("login");
    let client = Client::new(cfg, Credentials::login_session(out.session_id)).expect("client");
    launch_and_get(client, &kit).await;
    assert!(
        kit.control()
            .requests()
            .iter()
            .any(|r| r.via == "webserver" && r.path.contains("/tcpproxy?app=jupyter")),
        "the tunnel went through the webserver"
    );
}

#[tokio::test]
async fn jupyterlab_end_to_end_page_and_kernel_through_the_tunnel() {
    let Some(exe) = bai_testkit::find_jupyter() else {
        // In CI a missing prerequisite is a failure, never a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "no jupyter executable in CI (set {} or run `bash scripts/python-env.sh jupyter`)",
            bai_testkit::JUPYTER_ENV
        );
        eprintln!(
            "SKIPPED: no jupyter executable (set {} or run `bash scripts/python-env.sh jupyter`)",
            bai_testkit::JUPYTER_ENV
        );
        return;
    };
    eprintln!("using {}", exe.display());
    let kit = kit_with(Config {
        jupyter: JupyterMode::Auto,
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    })
    .await;
    let launcher = Launcher::new(client(&kit), Arc::new(WsTunnelOpener::default()));
    let ready = launcher
        .launch(request(None))
        .result()
        .await
        .expect("JupyterLab ready");
    assert_eq!(ready.app, "jupyterlab");
    let addr = ready.tunnel.local_addr();
    let cookie = authorize(ready.auth_url().expose()).await;

    let mut c = Conn::open(addr, Some(&cookie)).await.expect("connect");
    let lab = c.get("/lab", false).await.expect("GET /lab");
    assert_eq!(lab.status, 200);
    assert!(lab.text().contains("JupyterLab"), "not JupyterLab's page");

    // JupyterLab's XSRF cookie, as its own front end sends it back.
    let xsrf = lab
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.strip_prefix("_xsrf="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned());
    let (cookies, xsrf_header) = match &xsrf {
        Some(x) => (
            format!("{cookie}; _xsrf={x}"),
            format!("X-XSRFToken: {x}\r\n"),
        ),
        None => (cookie.clone(), String::new()),
    };
    let body = r#"{"name":"python3"}"#;
    c.send_raw(
        format!(
            "POST /api/kernels HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookies}\r\nOrigin: http://{addr}\r\n{xsrf_header}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .expect("send");
    let created = c.read_response(false).await.expect("kernel created");
    assert_eq!(created.status, 201, "{}", created.text());
    let kernel: serde_json::Value = serde_json::from_slice(&created.body).expect("json");
    let kid = kernel["id"].as_str().expect("kernel id");

    let mut req = format!("ws://{addr}/api/kernels/{kid}/channels")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("Cookie", cookies.parse().expect("cookie header"));
    req.headers_mut()
        .insert("Origin", format!("http://{addr}").parse().expect("origin"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("kernel WebSocket through the tunnel");
    let msg_id = "launcher-exec-1";
    let exec = serde_json::json!({
        "header": {"msg_id": msg_id, "username": "t", "session": "launcher-test",
                   "msg_type": "execute_request", "version": "5.3", "date": "2026-01-01T00:00:00Z"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": "1+1", "silent": false, "store_history": false,
                    "user_expressions": {}, "allow_stdin": false, "stop_on_error": true},
    });
    ws.send(Message::Text(exec.to_string().into()))
        .await
        .expect("execute_request");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let result = loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("execute_result within 60 s")
            .expect("stream open")
            .expect("frame");
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).expect("json");
            if v["msg_type"] == "execute_result" && v["parent_header"]["msg_id"] == msg_id {
                break v["content"]["data"]["text/plain"].clone();
            }
        }
    };
    assert_eq!(result, "2");
    assert!(ready.tunnel.stats().connections_total >= 3);
    ready.tunnel.close();
    kit.shutdown().await;
}
