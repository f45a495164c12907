//! Helpers shared by the integration tests: a signing client and a signed WebSocket opener.
#![allow(dead_code)]

use bai_core::signing::{SignatureInput, authorization, format_date};
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, TestKit};
use chrono::Utc;
use serde_json::Value;

pub const VERSION: &str = "v9.20250722";

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("reqwest client")
}

/// Signing parameters; tests tweak fields to make bad requests.
#[derive(Clone)]
pub struct Sig {
    pub ak: String,
    pub sk: String,
    pub version: Option<String>,
    pub skew_secs: i64,
    pub date_header: &'static str,
}

impl Default for Sig {
    fn default() -> Self {
        Sig {
            ak: ADMIN_ACCESS_KEY.into(),
            sk: ADMIN_SECRET_KEY.into(),
            version: Some(VERSION.into()),
            skew_secs: 0,
            date_header: "Date",
        }
    }
}

pub fn host_of(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// Headers for a signed request to `base` + `rel_url`.
pub fn signed_headers(
    base: &str,
    method: &str,
    rel_url: &str,
    content_type: &str,
    sig: &Sig,
) -> Vec<(String, String)> {
    let (date_s, date) = format_date(Utc::now() + chrono::Duration::seconds(sig.skew_secs));
    let host = host_of(base);
    let version = sig.version.clone().unwrap_or_else(|| VERSION.into());
    let input = SignatureInput {
        method,
        rel_url,
        date_header: &date_s,
        date,
        host: &host,
        content_type,
        api_version: &version,
    };
    let mut h = vec![
        (sig.date_header.to_owned(), date_s.clone()),
        (
            "Authorization".to_owned(),
            authorization(&sig.ak, &sig.sk, &input),
        ),
    ];
    if let Some(v) = &sig.version {
        h.push(("X-BackendAI-Version".into(), v.clone()));
    }
    h
}

/// Sends a signed request; JSON bodies sign `application/json`, others `text/plain`.
pub async fn send(
    base: &str,
    method: &str,
    rel_url: &str,
    body: Option<&Value>,
    sig: &Sig,
) -> reqwest::Response {
    let ct = if body.is_some() {
        "application/json"
    } else {
        "text/plain"
    };
    let c = client();
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = c
        .request(m, format!("{base}{rel_url}"))
        .header("Content-Type", ct);
    for (k, v) in signed_headers(base, method, rel_url, ct, sig) {
        rb = rb.header(k, v);
    }
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    rb.send().await.expect("request sent")
}

pub async fn get(kit: &TestKit, rel_url: &str) -> reqwest::Response {
    send(&kit.manager_url(), "GET", rel_url, None, &Sig::default()).await
}

pub async fn post(kit: &TestKit, rel_url: &str, body: &Value) -> reqwest::Response {
    send(
        &kit.manager_url(),
        "POST",
        rel_url,
        Some(body),
        &Sig::default(),
    )
    .await
}

pub async fn json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, v)
}

/// Creates a session with enqueueOnly and returns its id.
pub async fn create(kit: &TestKit, name: &str) -> String {
    let body = serde_json::json!({"name": name, "image": "python", "enqueueOnly": true,
        "config": {"resources": {"cpu": 1, "mem": "1g"}}});
    let (st, v) = json(post(kit, "/session", &body).await).await;
    assert_eq!(st, 201, "{v}");
    v["sessionId"].as_str().expect("sessionId").to_owned()
}

pub async fn wait_status(kit: &TestKit, name: &str, want: bai_testkit::Status) {
    for _ in 0..300 {
        if kit.control().session_status(name) == Some(want) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "session {name} did not reach {want}; it is {:?}",
        kit.control().session_status(name)
    );
}

/// Opens a signed WebSocket (no Content-Type, signs application/octet-stream).
pub async fn open_ws(
    base: &str,
    rel_url: &str,
    extra: &[(&str, &str)],
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tokio_tungstenite::tungstenite::Error,
> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}{rel_url}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().expect("ws request");
    if extra.is_empty() {
        for (k, v) in signed_headers(
            base,
            "GET",
            rel_url,
            "application/octet-stream",
            &Sig::default(),
        ) {
            req.headers_mut().insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
    }
    for (k, v) in extra {
        req.headers_mut().insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

/// The `jupyter` executable for tests that need a real JupyterLab. Without one the test is
/// skipped with a reason, except under CI (`CI` set and not `false`/`0`), where a missing
/// prerequisite must fail the run rather than let it pass untested.
pub fn require_jupyter() -> Option<std::path::PathBuf> {
    if let Some(exe) = bai_testkit::find_jupyter() {
        eprintln!("using {}", exe.display());
        return Some(exe);
    }
    let why = format!(
        "no jupyter executable: run `bash scripts/python-env.sh jupyter` or set {} to one",
        bai_testkit::JUPYTER_ENV
    );
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!ci, "{why} (CI is set, so this test may not be skipped)");
    eprintln!("SKIPPED: {why}");
    None
}

/// A minimal local proxy: one signed tunnel per accepted TCP connection, as the launcher's
/// tunnel does (without its admission checks).
pub async fn local_relay(base: String, rel_url: String) -> std::net::SocketAddr {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::Message;

    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let (base, rel) = (base.clone(), rel_url.clone());
            tokio::spawn(async move {
                let ws = open_ws(&base, &rel, &[]).await.expect("tunnel");
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

/// JupyterLab's `_xsrf` cookie value, as its front end gets it: from the `/lab` page.
pub async fn jupyter_xsrf(http: &reqwest::Client, base: &str) -> String {
    let lab = http
        .get(format!("{base}/lab"))
        .send()
        .await
        .expect("GET /lab");
    assert_eq!(lab.status().as_u16(), 200, "GET /lab");
    lab.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("_xsrf="))
        .and_then(|c| c.split(';').next())
        .map(|v| v.trim_matches('"').to_owned())
        .expect("JupyterLab set an _xsrf cookie on /lab")
}
