//! The testkit is also the demo a user runs on their own machine, so it is attacked here as
//! another local user or a web page would: JupyterLab has no TCP port and refuses cross-origin
//! requests even through the relay, the control API needs its token, and the binary never
//! accepts the credentials published in this repository. JupyterLab tests skip without a
//! `jupyter` executable, and fail instead under CI.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::process::{Command, Stdio};
use std::time::Duration;

use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, JupyterMode, Schedule, Status};
use bai_testkit::{TestKit, USER_PASSWORD};
use serde_json::{Value, json};

// ---- JupyterLab: reachable only through the relay, and not cross-origin ----

/// Ports of the TCP sockets `pid` listens on (Linux: the socket inodes in `/proc/<pid>/fd`
/// looked up in `/proc/net/tcp{,6}`, state 0A = LISTEN).
#[cfg(target_os = "linux")]
fn listening_tcp_ports(pid: u32) -> Vec<u16> {
    let owned: std::collections::HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read the process's fds")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for row in text.lines().skip(1) {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (cols.get(1), cols.get(3), cols.get(9))
            else {
                continue;
            };
            if *state == "0A" && owned.contains(*inode) {
                let port = local.rsplit(':').next().unwrap_or("");
                ports.push(u16::from_str_radix(port, 16).expect("hex port"));
            }
        }
    }
    ports
}

/// The probe above finds a listener when there is one, so its empty answer means something.
#[cfg(target_os = "linux")]
#[test]
fn the_tcp_listener_probe_sees_a_listener() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    assert!(listening_tcp_ports(std::process::id()).contains(&port));
}

async fn running_lab(kit: &TestKit, name: &str) -> String {
    let id = common::create(kit, name).await;
    common::wait_status(kit, name, Status::Running).await;
    let local = common::local_relay(
        kit.manager_url(),
        format!("/stream/session/{id}/tcpproxy?app=jupyterlab"),
    )
    .await;
    let base = format!("http://{local}");
    // The first tunnel starts JupyterLab.
    let api = common::client()
        .get(format!("{base}/api"))
        .send()
        .await
        .expect("GET /api through the relay");
    assert_eq!(api.status().as_u16(), 200);
    base
}

async fn kernel_count(http: &reqwest::Client, base: &str) -> usize {
    let list: Value = http
        .get(format!("{base}/api/kernels"))
        .send()
        .await
        .expect("GET /api/kernels")
        .json()
        .await
        .expect("kernel list");
    list.as_array().expect("a list").len()
}

#[tokio::test]
async fn jupyterlab_listens_only_on_a_private_unix_socket() {
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
    running_lab(&kit, "private-1").await;
    let lab = kit.jupyter_process().await.expect("JupyterLab runs");

    let sock = std::fs::symlink_metadata(&lab.socket).expect("the socket exists");
    assert!(
        sock.file_type().is_socket(),
        "{} is not a socket",
        lab.socket.display()
    );
    assert_eq!(sock.mode() & 0o777, 0o600, "socket mode");
    let dir = lab.socket.parent().expect("socket dir");
    let dir_meta = std::fs::metadata(dir).expect("socket dir");
    assert_eq!(dir_meta.mode() & 0o777, 0o700, "socket dir mode");
    assert_eq!(
        sock.uid(),
        dir_meta.uid(),
        "the socket is the testkit user's"
    );

    #[cfg(target_os = "linux")]
    assert_eq!(
        listening_tcp_ports(lab.pid),
        Vec::<u16>::new(),
        "JupyterLab (pid {}) must not listen on any TCP port",
        lab.pid
    );
    kit.shutdown().await;
}

#[tokio::test]
async fn jupyterlab_refuses_cross_origin_and_xsrf_less_requests_through_the_relay() {
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
    let base = running_lab(&kit, "private-2").await;
    let http = common::client();
    assert_eq!(kernel_count(&http, &base).await, 0);

    // What a page on another site can send without a preflight (text/plain), and with one.
    for content_type in ["text/plain", "application/json"] {
        let r = http
            .post(format!("{base}/api/kernels"))
            .header("Origin", "http://evil.example")
            .header("Content-Type", content_type)
            .body(r#"{"name":"python3"}"#)
            .send()
            .await
            .expect("send");
        // jupyter_server answers a foreign Origin with 404 and a missing XSRF token with 403.
        let status = r.status().as_u16();
        assert!(
            status == 403 || status == 404,
            "cross-origin POST /api/kernels ({content_type}) must be refused, got {status}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    // No Origin at all (a non-browser client, or a form post with a stripped Origin), still
    // no XSRF token: refused.
    let r = http
        .post(format!("{base}/api/kernels"))
        .json(&json!({"name": "python3"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 403, "POST without the XSRF token");
    // Even holding a valid XSRF pair, a foreign Origin is refused.
    let xsrf = common::jupyter_xsrf(&http, &base).await;
    let r = http
        .post(format!("{base}/api/kernels"))
        .header("Origin", "http://evil.example")
        .header("Cookie", format!("_xsrf={xsrf}"))
        .header("X-XSRFToken", &xsrf)
        .json(&json!({"name": "python3"}))
        .send()
        .await
        .expect("send");
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    assert_eq!(
        kernel_count(&http, &base).await,
        0,
        "a refused request started a kernel"
    );
    // A cross-origin page cannot read the API either: no CORS grant.
    let r = http
        .get(format!("{base}/api/kernels"))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .expect("send");
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "JupyterLab grants CORS: {:?}",
        r.headers()
    );

    // The same request from JupyterLab's own origin, with its XSRF token, works: the refusals
    // above are the checks, not a broken server.
    let r = http
        .post(format!("{base}/api/kernels"))
        .header("Origin", &base)
        .header("Cookie", format!("_xsrf={xsrf}"))
        .header("X-XSRFToken", &xsrf)
        .json(&json!({"name": "python3"}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.status().as_u16(),
        201,
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert_eq!(kernel_count(&http, &base).await, 1);

    // The kernel's ZMQ channels are IPC sockets in the private dir, not TCP ports that any
    // local user could subscribe to.
    let lab = kit.jupyter_process().await.expect("JupyterLab runs");
    let runtime = lab.socket.parent().expect("dir").join("runtime");
    let connection: Value = std::fs::read_dir(&runtime)
        .expect("runtime dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            let n = p.file_name().map(|n| n.to_string_lossy().into_owned());
            n.is_some_and(|n| n.starts_with("kernel-") && n.ends_with(".json"))
        })
        .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json"))
        .expect("a kernel connection file");
    assert_eq!(connection["transport"], "ipc", "{connection}");
    kit.shutdown().await;
}

// ---- the control API ----

async fn control(
    kit: &TestKit,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = common::client()
        .request(method, format!("{}/__testkit/{path}", kit.manager_url()))
        // As a page on another site would send it.
        .header("Origin", "http://evil.example");
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("send");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn control_api_needs_the_token_and_a_refused_request_changes_nothing() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    common::create(&kit, "ctl-1").await;
    common::wait_status(&kit, "ctl-1", Status::Running).await;
    let token = kit.control_token().to_owned();
    assert!(
        token.len() >= 32,
        "a guessable token: {} chars",
        token.len()
    );
    let fault = json!({"path_prefix": "/auth/role", "kind": {"kind": "status", "status": 500,
        "type_slug": "internal-server-error", "title": "boom"}});
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    for (presented, want) in [(None, 401), (Some("wrong-token"), 403), (Some(""), 401)] {
        let (st, body) =
            control(&kit, post.clone(), "faults", presented, Some(fault.clone())).await;
        assert_eq!(st, want, "POST faults with {presented:?}: {body}");
        assert!(
            body["msg"]
                .as_str()
                .is_some_and(|m| m.contains("control_token")),
            "the refusal says what to send: {body}"
        );
        let (st, _) = control(
            &kit,
            post.clone(),
            "fail-session",
            presented,
            Some(json!({"session": "ctl-1", "status_info": "boom"})),
        )
        .await;
        assert_eq!(st, want);
        let (st, body) = control(
            &kit,
            post.clone(),
            "clock",
            presented,
            Some(json!({"offset_secs": -3600})),
        )
        .await;
        assert_eq!(st, want, "{body}");
        // Reads are refused too: the recorded requests hold every caller's Authorization.
        let (st, body) = control(&kit, get.clone(), "requests", presented, None).await;
        assert_eq!(st, want);
        assert!(!body.to_string().contains("authorization"), "{body}");
    }
    // Nothing changed: no fault, the session runs, the clock is right.
    let r = common::get(&kit, "/auth/role").await;
    assert_eq!(
        r.status().as_u16(),
        200,
        "a refused request installed a fault"
    );
    assert_eq!(kit.control().session_status("ctl-1"), Some(Status::Running));

    // With the token, the same requests work.
    let (st, _) = control(&kit, post.clone(), "faults", Some(&token), Some(fault)).await;
    assert_eq!(st, 200);
    assert_eq!(common::get(&kit, "/auth/role").await.status().as_u16(), 500);
    let (st, _) = control(
        &kit,
        post,
        "fail-session",
        Some(&token),
        Some(json!({"session": "ctl-1", "status_info": "boom"})),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(kit.control().session_status("ctl-1"), Some(Status::Error));
    let (st, body) = control(&kit, get, "requests", Some(&token), None).await;
    assert_eq!(st, 200);
    assert!(body.as_array().is_some_and(|l| !l.is_empty()), "{body}");
}

#[tokio::test]
async fn each_start_draws_a_new_control_token() {
    let a = TestKit::start(Config::default()).await.expect("start");
    let b = TestKit::start(Config::default()).await.expect("start");
    assert_ne!(a.control_token(), b.control_token());
    let (st, _) = control(
        &a,
        reqwest::Method::GET,
        "sessions",
        Some(b.control_token()),
        None,
    )
    .await;
    assert_eq!(st, 403, "another testkit's token is refused");
}

// ---- the binary (the app's demo server) ----

/// Runs `bai-testkit --jupyter off` and returns it with its ready line.
fn start_binary() -> (std::process::Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bai-testkit"))
        .args(["--jupyter", "off"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bai-testkit");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let info: Value = serde_json::from_str(&line).expect("the ready line is JSON");
    (child, info)
}

#[tokio::test]
async fn the_binary_has_private_credentials_and_a_control_token() {
    let (mut child, info) = start_binary();
    let base = info["manager_url"]
        .as_str()
        .expect("manager_url")
        .to_owned();
    let token = info["control_token"]
        .as_str()
        .expect("control_token")
        .to_owned();
    let secret = info["secret_key"].as_str().expect("secret_key").to_owned();
    assert_eq!(info["access_key"], ADMIN_ACCESS_KEY);
    assert_ne!(secret, ADMIN_SECRET_KEY, "the published secret key");
    assert_ne!(info["password"], USER_PASSWORD);
    assert_ne!(
        info["password"],
        bai_testkit::ADMIN_PASSWORD,
        "the published password"
    );

    // The published secret key no longer signs anything.
    let published = common::Sig::default();
    let r = common::send(&base, "GET", "/auth/role", None, &published).await;
    assert_eq!(
        r.status().as_u16(),
        401,
        "the published secret key was accepted"
    );
    let own = common::Sig {
        sk: secret,
        ..common::Sig::default()
    };
    let r = common::send(&base, "GET", "/auth/role", None, &own).await;
    assert_eq!(r.status().as_u16(), 200);

    let c = common::client();
    let r = c
        .get(format!("{base}/__testkit/sessions"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    let r = c
        .get(format!("{base}/__testkit/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);

    let _ = child.kill();
    let _ = child.wait();
}
