//! The testkit's real JupyterLab, launched through the real tunnel as the app launches it, and
//! the kernel protocol as JupyterLab's front end speaks it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bai_core::client::CreateSession;
use bai_core::launch::{LaunchRequest, Launcher, Ready, ReusePolicy};
use bai_testkit::{Config, JupyterMode, Schedule, TestKit};
use bai_tunnel::WsTunnelOpener;
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::http::{Conn, authorize};
use super::{IMAGE, client, kit_with, name};

/// A launched JupyterLab, and what its front end would send with each request.
pub struct Lab {
    pub kit: TestKit,
    pub ready: Ready,
    pub addr: SocketAddr,
    /// The tunnel's cookie and JupyterLab's `_xsrf`, as one `Cookie` value.
    pub cookies: String,
    /// `X-XSRFToken: …\r\n`, or nothing when JupyterLab set no `_xsrf` cookie.
    pub xsrf_header: String,
}

/// Launch JupyterLab behind the testkit; `None` (with a note) when no `jupyter` is installed
/// and this is not CI, where a missing prerequisite is a failure.
pub async fn lab() -> Option<Lab> {
    let Some(exe) = bai_testkit::find_jupyter() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no jupyter executable in CI (set {} or run `bash scripts/python-env.sh jupyter`)",
            bai_testkit::JUPYTER_ENV
        );
        eprintln!(
            "SKIPPED: no jupyter executable (set {} or run `bash scripts/python-env.sh jupyter`)",
            bai_testkit::JUPYTER_ENV
        );
        return None;
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
        .launch(LaunchRequest::create(
            CreateSession::new(name("lab"), IMAGE),
            ReusePolicy::CreateNew,
        ))
        .result()
        .await
        .expect("JupyterLab ready");
    assert_eq!(ready.app, "jupyterlab");
    let addr = ready.tunnel.local_addr();
    let cookie = authorize(ready.auth_url().expose()).await;

    let mut c = Conn::open(addr, Some(&cookie)).await.expect("connect");
    let page = c.get("/lab", false).await.expect("GET /lab");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("JupyterLab"), "not JupyterLab's page");
    // JupyterLab's XSRF cookie, as its own front end sends it back.
    let xsrf = page
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
        None => (cookie, String::new()),
    };
    Some(Lab {
        kit,
        ready,
        addr,
        cookies,
        xsrf_header,
    })
}

impl Lab {
    /// `POST /api/kernels` through the tunnel; the kernel's id, as soon as JupyterLab has
    /// accepted it (the kernel itself may still be starting).
    pub async fn start_kernel(&self) -> String {
        let (addr, cookies, xsrf) = (self.addr, &self.cookies, &self.xsrf_header);
        let mut c = Conn::open(addr, None).await.expect("connect");
        let body = r#"{"name":"python3"}"#;
        c.send_raw(
            format!(
                "POST /api/kernels HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookies}\r\nOrigin: http://{addr}\r\n{xsrf}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("send");
        let created = c.read_response(false).await.expect("kernel created");
        assert_eq!(created.status, 201, "{}", created.text());
        let kernel: serde_json::Value = serde_json::from_slice(&created.body).expect("json");
        kernel["id"].as_str().expect("kernel id").to_owned()
    }

    /// The kernel channels' path, for a front-end session of its own (JupyterLab replays
    /// buffered output to a reconnecting session; a fresh one gets only its own replies).
    pub fn channels_path(kernel: &str) -> String {
        let session = uuid::Uuid::new_v4().simple();
        format!("/api/kernels/{kernel}/channels?session_id={session}")
    }

    /// The headers a notebook page sends with its kernel WebSocket, each line ending in CRLF.
    pub fn ws_headers(&self) -> String {
        format!(
            "Cookie: {}\r\nOrigin: http://{}\r\n",
            self.cookies, self.addr
        )
    }

    pub async fn shutdown(self) {
        self.ready.tunnel.close();
        self.kit.shutdown().await;
    }
}

/// A legacy-protocol (JSON text) `execute_request` on the shell channel.
pub fn execute_request(msg_id: &str, code: &str) -> String {
    serde_json::json!({
        "header": {"msg_id": msg_id, "username": "t", "session": "launcher-test",
                   "msg_type": "execute_request", "version": "5.3", "date": "2026-01-01T00:00:00Z"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": false, "store_history": false,
                    "user_expressions": {}, "allow_stdin": false, "stop_on_error": true},
    })
    .to_string()
}

/// The `text/plain` of the `execute_result` for `msg_id`; fails on an error reply, a close or
/// the deadline.
pub async fn execute_result<S>(
    ws: &mut WebSocketStream<S>,
    msg_id: &str,
    within: Duration,
) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no execute_result for {msg_id} within {within:?}"))
            .unwrap_or_else(|| panic!("the kernel WebSocket closed before {msg_id} was answered"))
            .unwrap_or_else(|e| panic!("the kernel WebSocket failed before {msg_id}: {e}"));
        let Message::Text(t) = m else { continue };
        let v: serde_json::Value = serde_json::from_str(&t).expect("json");
        if v["parent_header"]["msg_id"] != msg_id {
            continue;
        }
        match v["msg_type"].as_str() {
            Some("execute_result") => {
                return v["content"]["data"]["text/plain"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
            }
            Some("execute_reply") if v["content"]["status"] != "ok" => {
                panic!("{msg_id} failed: {}", v["content"])
            }
            Some("error") => panic!("{msg_id} raised: {}", v["content"]),
            _ => {}
        }
    }
}
