//! The launcher's client and the real `bai` binary against the REAL Backend.AI manager 26.9.6
//! (tests/real-manager: dummy agent, real JupyterLab behind the app ports). Every test is
//! ignored; run them with `bash tests/real-manager/run-suite.sh`, which sources the client env
//! file (BACKEND_* = the manager, superadmin keypair) and runs them one at a time.

mod common;
// SSH and SFTP through `bai ssh-proxy`, with this suite's helpers.
#[path = "real_manager/ssh.rs"]
mod ssh;
// The idle checkers (network_timeout, session_lifetime) and tunnel traffic.
#[path = "real_manager/idle.rs"]
mod idle;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bai_core::client::{
    Client, ClientConfig, Credentials, LoginOptions, SessionEventKind, SessionStatus,
};
use bai_core::{Endpoint, EndpointKind};
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WHY: &str = "needs the real manager: tests/real-manager/run-suite.sh";

fn var(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| {
        panic!("{k} is not set: run these tests with `bash tests/real-manager/run-suite.sh`")
    })
}

fn image() -> String {
    var("BAI_REALMGR_IMAGE")
}

fn client() -> Client {
    let cfg = ClientConfig::new(
        Endpoint::parse(&var("BACKEND_ENDPOINT")).expect("endpoint"),
        EndpointKind::Api,
    );
    Client::new(
        cfg,
        Credentials::keypair(var("BACKEND_ACCESS_KEY"), var("BACKEND_SECRET_KEY")),
    )
    .expect("client")
}

/// `bai` in environment mode, with a private config dir and no keyring.
fn bai(dir: &std::path::Path) -> Bai {
    let mut b = Bai::offline(dir);
    for k in [
        "BACKEND_ENDPOINT",
        "BACKEND_ACCESS_KEY",
        "BACKEND_SECRET_KEY",
    ] {
        b = b.env(k, &var(k));
    }
    b
}

fn unique(prefix: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 100_000_000)
        .unwrap_or_default();
    format!("{prefix}-{t}")
}

/// A `bai` child whose output lines are collected as they come: `lines` holds both streams
/// (the URL on stdout, progress and messages on stderr) in the order they came, `err` stderr
/// alone.
struct Live {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<String>>,
}

impl Live {
    fn spawn(b: &Bai, args: &[&str]) -> Live {
        let mut c = b.command(args);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("bai starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().expect("stdout");
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l2.lock().expect("lines").push(line);
            }
        });
        let e = child.stderr.take().expect("stderr");
        let (e2, l2) = (err.clone(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(e).lines().map_while(Result::ok) {
                let mut s = e2.lock().expect("err");
                s.push_str(&line);
                s.push('\n');
                l2.lock().expect("lines").push(line);
            }
        });
        Live { child, lines, err }
    }

    fn text(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }

    async fn wait_line(&self, pred: impl Fn(&str) -> bool, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(l) = self.lines.lock().expect("lines").iter().find(|l| pred(l)) {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no such line within {within:?}; stdout:\n{}\nstderr:\n{}",
                self.text(),
                self.err.lock().expect("err")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn interrupt(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "SIGINT delivered");
    }

    async fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let err = self.err.lock().expect("err").clone();
                return (st.code(), self.text(), err);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "bai did not exit within 60 s after SIGINT:\n{}",
                    self.text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Destroys the named session when dropped, so a failing test leaves nothing behind.
/// Session names are per owner, so it acts as the owner: `client` (the superadmin) by default.
struct Cleanup(String, fn() -> Client);

impl Cleanup {
    fn new(name: &str) -> Self {
        Cleanup(name.to_owned(), client)
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let name = self.0.clone();
        let owner = self.1;
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let _ = owner().destroy_session(&name, true).await;
            });
        })
        .join();
    }
}

async fn run(b: Bai, args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        b.run(&a, "")
    })
    .await
    .expect("join")
}

async fn session_id(name: &str) -> String {
    let page = client()
        .list_sessions(&bai_core::client::ListSessions {
            status: bai_core::client::StatusFilter::All,
            ..Default::default()
        })
        .await
        .expect("list");
    page.items
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.id)
        .unwrap_or_else(|| panic!("session {name} not listed"))
}

async fn wait_status(id: &str, want: &SessionStatus, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let r = client().session_status_record(id).await.expect("status");
        if &r.status == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {} (want {want})",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `bai launch` of a small session named `name` with `--no-open`; waits for the tunnel's auth
/// URL (printed when the app is ready), checks the progress lines, and returns both.
async fn launch_ready(b: &Bai, name: &str) -> (Live, String) {
    let img = image();
    let started = Instant::now();
    let live = Live::spawn(
        b,
        &[
            "launch",
            "--image",
            &img,
            "--cpu",
            "1",
            "--mem",
            "512m",
            "--name",
            name,
            "--no-open",
        ],
    );
    let url = live
        .wait_line(
            |l| l.starts_with("http://127.") && l.contains("/__launcher/auth?token="),
            Duration::from_secs(180),
        )
        .await;
    eprintln!("ready after {:.1}s", started.elapsed().as_secs_f64());
    let out = live.text();
    eprintln!("progress:\n{}", out.replace(&url, "<auth url>"));
    for status in ["PENDING", "RUNNING"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with('[') && l.contains(&format!("s] {status}"))),
            "no {status} line:\n{out}"
        );
    }
    (live, url)
}

/// Through the tunnel behind `url` (its auth URL): JupyterLab's page, then a kernel that runs
/// `1+1` over its WebSocket channel.
async fn kernel_runs_1_plus_1(url: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let r = http.get(url).send().await.expect("auth URL");
    assert!(r.status().is_success(), "{}", r.status());
    let base = url::Url::parse(url).expect("url");
    let origin = format!(
        "http://{}",
        base.host_str()
            .zip(base.port())
            .map(|(h, p)| format!("{h}:{p}"))
            .expect("host")
    );
    let lab = http
        .get(format!("{origin}/lab"))
        .send()
        .await
        .expect("GET /lab");
    assert_eq!(lab.status().as_u16(), 200);
    assert!(lab.text().await.expect("body").contains("JupyterLab"));
    let kernel: serde_json::Value = http
        .post(format!("{origin}/api/kernels"))
        .json(&serde_json::json!({"name": "python3"}))
        .send()
        .await
        .expect("POST /api/kernels")
        .json()
        .await
        .expect("kernel json");
    let kid = kernel["id"].as_str().expect("kernel id").to_owned();
    let cookie = reqwest::cookie::CookieStore::cookies(&*jar, &base).expect("the tunnel's cookie");
    let mut req = format!("ws://{}/api/kernels/{kid}/channels", &origin[7..])
        .into_client_request()
        .expect("request");
    req.headers_mut().insert("Cookie", cookie);
    req.headers_mut()
        .insert("Origin", origin.parse().expect("origin"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("kernel WebSocket through the tunnel");
    let msg_id = "bai-real-1";
    let exec = serde_json::json!({
        "header": {"msg_id": msg_id, "username": "t", "session": "bai-real",
                   "msg_type": "execute_request", "version": "5.3", "date": "2026-01-01T00:00:00Z"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": "1+1", "silent": false, "store_history": false,
                    "user_expressions": {}, "allow_stdin": false, "stop_on_error": true},
    });
    ws.send(Message::Text(exec.to_string().into()))
        .await
        .expect("execute");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let result = loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("execute_result within 90 s")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).expect("json");
            if v["msg_type"] == "execute_result" && v["parent_header"]["msg_id"] == msg_id {
                break v["content"]["data"]["text/plain"].clone();
            }
        }
    };
    assert_eq!(result, "2");
    let _ = ws.close(None).await;
    let _ = http
        .delete(format!("{origin}/api/kernels/{kid}"))
        .send()
        .await;
}

#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn version_negotiation_and_signed_calls() {
    let _ = WHY;
    let c = client();
    let info = c.server_info().await.expect("GET /");
    assert_eq!(info.version.to_string(), "v9.20250722");
    assert_eq!(info.manager.as_deref(), Some("26.9.6"));
    let v = c.api_version().await.expect("negotiated");
    assert_eq!(v.to_string(), "v9.20250722");
    let user = c.current_user().await.expect("signed GraphQL call");
    assert_eq!(user.email, "admin@lablup.com");
    assert_eq!(user.role.as_deref(), Some("superadmin"));
    let kp = c.current_keypair().await.expect("keypair");
    assert_eq!(kp.access_key, var("BACKEND_ACCESS_KEY"));
    let roles = c.role(None).await.expect("signed REST call");
    assert_eq!(roles.global_role.as_deref(), Some("superadmin"));
}

#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn a_wrong_secret_gives_the_401_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bai(dir.path()).env("BACKEND_SECRET_KEY", "this-is-not-the-secret-key");
    let r = run(b, &["profile", "test"]).await;
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.err.contains("error[auth-failed]"), "{}", r.err);
    assert!(
        r.err.contains("Check the access key and secret key"),
        "{}",
        r.err
    );
    eprintln!("real 401 as shown: {}", r.err.trim());
}

#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn profile_test_shows_the_server_and_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = run(bai(dir.path()), &["profile", "test"]).await.ok();
    assert!(r.out.contains("Backend.AI 26.9.6"), "{}", r.out);
    assert!(r.out.contains("v9.20250722"), "{}", r.out);
    assert!(r.out.contains("admin@lablup.com"), "{}", r.out);
    assert!(r.out.contains("superadmin"), "{}", r.out);
}

/// A stored profile (secret key in a throwaway keyring): only under scripts/with-keyring.sh.
#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn a_keyring_profile_tests_and_lists() {
    if std::env::var_os("BAI_REALMGR_KEYRING").is_none() {
        eprintln!(
            "SKIPPED: run-suite.sh runs this under scripts/with-keyring.sh (BAI_REALMGR_KEYRING=1)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let b = Bai::new(dir.path());
    let sk = format!("{}\n", var("BACKEND_SECRET_KEY"));
    let add = tokio::task::spawn_blocking({
        let b = Bai::new(dir.path());
        let ak = var("BACKEND_ACCESS_KEY");
        let ep = var("BACKEND_ENDPOINT");
        let img = image();
        move || {
            b.run(
                &[
                    "profile",
                    "add",
                    "Real",
                    "--endpoint",
                    &ep,
                    "--access-key",
                    &ak,
                    "--secret-key-stdin",
                    "--image",
                    &img,
                    "--resource",
                    "cpu=1",
                    "--resource",
                    "mem=512m",
                ],
                &sk,
            )
        }
    })
    .await
    .expect("join")
    .ok();
    assert!(
        !add.all().contains(&var("BACKEND_SECRET_KEY")),
        "secret echoed"
    );
    let r = run(b, &["--profile", "Real", "profile", "test"]).await.ok();
    assert!(r.out.contains("profile:      Real"), "{}", r.out);
    assert!(r.out.contains("admin@lablup.com"), "{}", r.out);
    let s = run(
        Bai::new(dir.path()),
        &["--profile", "Real", "--json", "sessions"],
    )
    .await
    .ok();
    let v: serde_json::Value = serde_json::from_str(&s.out).expect("json");
    assert!(v["items"].is_array(), "{v}");
}

#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn images_and_resource_presets_come_back_typed() {
    let c = client();
    // The dummy agent reports no images, so the manager marks the fixture's image as not
    // installed: `images(is_installed: true)` is empty here, and `bai images --all` lists it.
    let installed = c.images().await.expect("installed images");
    eprintln!("installed images on the real manager: {}", installed.len());
    let images: Vec<bai_core::client::Image> = c
        .graphql(
            "query { images { id name namespace base_image_name tag registry architecture digest installed labels { key value } resource_limits { key min max } aliases } }",
            serde_json::json!({}),
            "images",
        )
        .await
        .expect("all images");
    let img = images
        .iter()
        .find(|i| i.reference() == image())
        .unwrap_or_else(|| panic!("{} not among {images:?}", image()));
    assert!(img.aliases.iter().any(|a| a == "python"), "{img:?}");
    let apps = img.service_port_names();
    assert!(apps.contains(&"jupyterlab".to_owned()), "{apps:?}");
    let presets = c.resource_presets().await.expect("presets");
    let small = presets
        .iter()
        .find(|p| p.name == "cpu01-small")
        .expect("cpu01-small");
    assert!(small.resource_slots.contains_key("cpu"), "{small:?}");
    let check = c
        .check_presets("default", None)
        .await
        .expect("check-presets");
    assert!(
        check
            .presets
            .iter()
            .any(|p| p.name == "cpu01-small" && p.allocatable),
        "{check:?}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let t = run(bai(dir.path()), &["images", "--all"]).await.ok();
    assert!(t.out.lines().any(|l| l.starts_with(&image())), "{}", t.out);
    let p = run(bai(dir.path()), &["--json", "presets"]).await.ok();
    let v: serde_json::Value = serde_json::from_str(&p.out).expect("json");
    let small = v["items"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "cpu01-small")
        .cloned()
        .expect("listed");
    assert_eq!(small["allocatable"], true, "{v}");
}

/// Launch with `bai`, load JupyterLab and run `1+1` in a kernel through the tunnel, list the
/// session, close the tunnel (the session keeps running), terminate it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn launch_jupyterlab_kernel_list_and_terminate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = unique("rm-lnc");
    let _cleanup = Cleanup::new(&name);
    let (live, url) = launch_ready(&bai(dir.path()), &name).await;
    kernel_runs_1_plus_1(&url).await;

    // Listed from the real GraphQL schema.
    let s = run(bai(dir.path()), &["sessions"]).await.ok();
    let row = s
        .out
        .lines()
        .find(|l| l.starts_with(&name))
        .unwrap_or_else(|| panic!("{}", s.out));
    assert!(row.contains("RUNNING"), "{row}");

    // Ctrl-C closes the tunnel; without --terminate-on-exit the session keeps running.
    live.interrupt();
    let (code, out, err) = live.finish().await;
    // 128 + SIGINT, after the cleanup.
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert!(
        out.contains(&format!("session {name} keeps running")),
        "{out}"
    );
    let id = session_id(&name).await;
    wait_status(&id, &SessionStatus::Running, Duration::from_secs(5)).await;

    let t = run(bai(dir.path()), &["terminate", &name]).await.ok();
    assert!(
        t.out.contains(&format!("session {name}: TERMINATED")),
        "{}",
        t.out
    );
    wait_status(&id, &SessionStatus::Terminated, Duration::from_secs(5)).await;
    let all = run(bai(dir.path()), &["sessions", "--all"]).await.ok();
    assert!(
        all.out
            .lines()
            .any(|l| l.starts_with(&name) && l.contains("TERMINATED")),
        "{}",
        all.out
    );
}

/// The real event stream of one session from creation to termination, as the launcher parses
/// it (printed for the report), and `--terminate-on-exit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn event_order_and_terminate_on_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = unique("rm-ev");
    let _cleanup = Cleanup::new(&name);
    let c = client();
    let img = image();
    let live = Live::spawn(
        &bai(dir.path()),
        &[
            "launch",
            "--image",
            &img,
            "--cpu",
            "1",
            "--mem",
            "512m",
            "--name",
            &name,
            "--no-open",
            "--terminate-on-exit",
        ],
    );
    // Subscribe as soon as the session exists (the stream takes the name; no replay).
    live.wait_line(|l| l.contains("PENDING"), Duration::from_secs(60))
        .await;
    let mut events = c.session_events(&name).await.expect("event stream");
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    let collector = tokio::spawn(async move {
        while let Some(Ok(ev)) = events.next().await {
            let done = matches!(
                ev.kind,
                SessionEventKind::Terminated | SessionEventKind::Cancelled
            );
            seen2.lock().expect("seen").push(format!(
                "{:?}({})",
                ev.kind,
                ev.reason.unwrap_or_default()
            ));
            if done {
                break;
            }
        }
    });
    live.wait_line(|l| l.starts_with("tunnel on"), Duration::from_secs(180))
        .await;
    live.interrupt();
    let (code, out, err) = live.finish().await;
    // 128 + SIGINT, after the cleanup.
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert!(out.contains(&format!("session {name} terminated")), "{out}");
    let _ = tokio::time::timeout(Duration::from_secs(60), collector).await;
    let seen = seen.lock().expect("seen").clone();
    eprintln!("real events after PENDING: {seen:?}");
    assert!(seen.iter().any(|e| e.starts_with("Started")), "{seen:?}");
    assert!(
        seen.last().is_some_and(|e| e.starts_with("Terminated")),
        "{seen:?}"
    );
    let id = session_id(&name).await;
    wait_status(&id, &SessionStatus::Terminated, Duration::from_secs(30)).await;
}

/// A session asking for more CPU than the agent has stays PENDING; Ctrl-C during that launch
/// cancels it (CANCELLED), since this launch created it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn an_unschedulable_session_stays_pending_and_ctrl_c_cancels_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = unique("rm-pend");
    let _cleanup = Cleanup::new(&name);
    let img = image();
    let live = Live::spawn(
        &bai(dir.path()),
        &[
            "launch",
            "--image",
            &img,
            "--cpu",
            "50",
            "--mem",
            "512m",
            "--name",
            &name,
            "--no-open",
        ],
    );
    live.wait_line(|l| l.contains("PENDING"), Duration::from_secs(60))
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let id = session_id(&name).await;
    let r = client().session_status_record(&id).await.expect("status");
    assert_eq!(r.status, SessionStatus::Pending, "{r:?}");
    eprintln!(
        "PENDING status_info on the real manager: {:?}",
        r.status_info
    );
    assert!(!live.text().contains("RUNNING"));
    live.interrupt();
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert!(out.contains("interrupted: cancelling the launch"), "{out}");
    assert!(err.contains("error[launch-cancelled]"), "{err}");
    wait_status(&id, &SessionStatus::Cancelled, Duration::from_secs(30)).await;
    let rec = client().session_status_record(&id).await.expect("status");
    eprintln!("after cancel: {} {:?}", rec.status, rec.status_info);
}

// ---- Lablup's webserver (backend.ai-webserver 26.9.6 on BAI_REALMGR_WEB_ENDPOINT) ----------

/// Fixture accounts (tests/real-manager/fixtures/20-… and 70-webserver-users.json).
const WEB_USER: (&str, &str) = ("user@lablup.com", "C8qnIo29");
/// TOTP activated with this base32 key (users.totp_activated, users.totp_key).
const TOTP_USER: (&str, &str) = ("totp@lablup.com", "T0tp-Pass");
const TOTP_KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/// Its user resource policy `single-login` has max_concurrent_logins = 1.
const SINGLE_USER: (&str, &str) = ("single@lablup.com", "S1ngle-Pass");
/// login_client_types rows of the fixtures: the migrations' seeded `webui` id, and one the
/// site registered for the launcher.
const WEBUI_TYPE: &str = "00000000-0000-0000-0000-0000000000eb";
const LAUNCHER_TYPE: &str = "0190a3c0-5e1a-7bd2-9c4e-6c61756e6368";

fn web_endpoint() -> String {
    var("BAI_REALMGR_WEB_ENDPOINT")
}

/// Webserver profiles keep their login session in the keyring, so these tests need the
/// throwaway one run-suite.sh provides. In CI its absence is a failure, elsewhere a skip.
fn keyring_available(test: &str) -> bool {
    if std::env::var_os("BAI_REALMGR_KEYRING").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: no keyring (BAI_REALMGR_KEYRING unset); run-suite.sh runs the suite under scripts/with-keyring.sh"
    );
    eprintln!("SKIPPED {test}: run it through run-suite.sh (scripts/with-keyring.sh)");
    false
}

/// `bai profile add NAME --kind webserver --endpoint <webserver> --email EMAIL
/// --password-stdin EXTRA…` with the password on stdin (never on the command line).
async fn add_web(dir: &std::path::Path, name: &str, user: (&str, &str), extra: &[&str]) -> Run {
    let mut args: Vec<String> = [
        "profile",
        "add",
        name,
        "--kind",
        "webserver",
        "--endpoint",
        &web_endpoint(),
        "--email",
        user.0,
        "--password-stdin",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(extra.iter().map(|s| s.to_string()))
    .collect();
    let password = format!("{}\n", user.1);
    let b = Bai::new(dir);
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter_mut().map(|s| s.as_str()).collect();
        b.run(&a, &password)
    })
    .await
    .expect("join")
}

/// The ids of keyring entries no profile uses, to show a refused `add` left nothing behind.
async fn orphan_secrets(dir: &std::path::Path) -> Vec<String> {
    let r = run(
        Bai::new(dir),
        &["--json", "profile", "secrets", "--orphans"],
    )
    .await
    .ok();
    let v: serde_json::Value = serde_json::from_str(&r.out).expect("json");
    let mut ids: Vec<String> = v["orphans"]
        .as_array()
        .expect("orphans")
        .iter()
        .map(|o| format!("{}/{}", o["profile_id"], o["kind"]))
        .collect();
    ids.sort();
    ids
}

/// The server refused `add`: exit 1 with `error[code]`, and neither a profile nor a secret.
async fn assert_not_added(dir: &std::path::Path, r: &Run, code: &str, orphans_before: &[String]) {
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.err.contains(&format!("error[{code}]")), "{}", r.err);
    assert!(r.err.contains("not added"), "{}", r.err);
    let list = run(Bai::new(dir), &["--json", "profile", "list"])
        .await
        .ok();
    let v: serde_json::Value = serde_json::from_str(&list.out).expect("json");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(
        orphan_secrets(dir).await,
        orphans_before,
        "a secret was left behind"
    );
}

/// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 key, as the manager's pyotp checks it.
/// pyotp accepts only the current step, so a code about to expire is not handed out.
async fn totp_now(key_base32: &str) -> String {
    use hmac::{KeyInit, Mac};
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
    };
    if now() % 30 > 25 {
        tokio::time::sleep(Duration::from_secs(30 - now() % 30 + 1)).await;
    }
    let key = data_encoding::BASE32
        .decode(key_base32.as_bytes())
        .expect("base32 key");
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).expect("hmac key");
    mac.update(&(now() / 30).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) & 0x7fff_ffff;
    format!("{:06}", bin % 1_000_000)
}

#[test]
fn totp_matches_rfc_6238() {
    // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 → the 6-digit code 287082.
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"12345678901234567890").expect("key");
    mac.update(&(59u64 / 30).to_be_bytes());
    let d = mac.finalize().into_bytes();
    let o = usize::from(d[d.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]) & 0x7fff_ffff;
    assert_eq!(bin % 100_000_000, 94_287_082);
}

/// A client of the webserver with no login (for `login_with`).
fn web_anon() -> Client {
    let cfg = ClientConfig::new(
        Endpoint::parse(&web_endpoint()).expect("endpoint"),
        EndpointKind::Webserver,
    );
    Client::new(cfg, Credentials::Anonymous).expect("client")
}

fn web_session(outcome: &bai_core::client::LoginOutcome) -> Client {
    let cfg = ClientConfig::new(
        Endpoint::parse(&web_endpoint()).expect("endpoint"),
        EndpointKind::Webserver,
    );
    Client::new(cfg, Credentials::login_session(outcome.session_id.clone())).expect("client")
}

async fn web_login(
    user: (&str, &str),
    options: &LoginOptions,
) -> bai_core::Result<bai_core::client::LoginOutcome> {
    web_anon()
        .login_with(user.0, &secrecy::SecretString::from(user.1), options)
        .await
}

/// Ends every live login of `user` that an earlier run (or test) left: a forced login evicts
/// them all (the limit is 1), then it logs out itself.
async fn reset_logins(user: (&str, &str)) {
    let forced = web_login(
        user,
        &LoginOptions {
            force: true,
            ..LoginOptions::default()
        },
    )
    .await
    .expect("forced login");
    web_session(&forced).logout().await.expect("logout");
}

/// The user's keypair, for the cleanup of sessions the user owns.
fn user_client() -> Client {
    let cfg = ClientConfig::new(
        Endpoint::parse(&var("BACKEND_ENDPOINT")).expect("endpoint"),
        EndpointKind::Api,
    );
    Client::new(
        cfg,
        Credentials::keypair(
            var("BAI_REALMGR_USER_ACCESS_KEY"),
            var("BAI_REALMGR_USER_SECRET_KEY"),
        ),
    )
    .expect("client")
}

/// A webserver profile added with email and password launches JupyterLab through the
/// webserver (the app tunnel over `/func/stream`), and a kernel runs `1+1` through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn webserver_profile_launches_jupyterlab_and_runs_a_kernel() {
    if !keyring_available("webserver_profile_launches_jupyterlab_and_runs_a_kernel") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let add = add_web(dir.path(), "Web", WEB_USER, &["--default"])
        .await
        .ok();
    assert!(add.out.contains("logged in"), "{}", add.out);
    assert!(!add.all().contains(WEB_USER.1), "the password was echoed");
    let name = unique("rm-web");
    let _cleanup = Cleanup(name.clone(), user_client);
    let (live, url) = launch_ready(&Bai::new(dir.path()), &name).await;
    kernel_runs_1_plus_1(&url).await;
    let s = run(Bai::new(dir.path()), &["sessions"]).await.ok();
    assert!(
        s.out
            .lines()
            .any(|l| l.starts_with(&name) && l.contains("RUNNING")),
        "{}",
        s.out
    );
    live.interrupt();
    let (code, out, err) = live.finish().await;
    // 128 + SIGINT, after the cleanup.
    assert_eq!(code, Some(130), "{out}\n{err}");
    let t = run(Bai::new(dir.path()), &["terminate", &name]).await.ok();
    assert!(
        t.out.contains(&format!("session {name}: TERMINATED")),
        "{}",
        t.out
    );
}

/// The TOTP user's own keypair (fixtures/70-webserver-users.json), to clean up its session.
fn totp_client() -> Client {
    let cfg = ClientConfig::new(
        Endpoint::parse(&var("BACKEND_ENDPOINT")).expect("endpoint"),
        EndpointKind::Api,
    );
    Client::new(
        cfg,
        Credentials::keypair(
            "AKIATOTPUSEREXAMPLE1",
            "TotpUserSecretKeyEXAMPLE0000000000000001",
        ),
    )
    .expect("client")
}

/// The real manager's TOTP plugin: `add` without a code is refused (and adds nothing) with a
/// message that names `--otp CODE`; a wrong code says so; the current code logs in, and the
/// profile launches JupyterLab through the webserver where a kernel runs `1+1`.
#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn webserver_totp_needs_the_code() {
    if !keyring_available("webserver_totp_needs_the_code") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let before = orphan_secrets(dir.path()).await;
    let no_code = add_web(dir.path(), "Totp", TOTP_USER, &["--remember-password"]).await;
    assert_not_added(dir.path(), &no_code, "otp-required", &before).await;
    assert!(no_code.err.contains("--otp CODE"), "{}", no_code.err);
    let wrong = add_web(dir.path(), "Totp", TOTP_USER, &["--otp", "000000"]).await;
    assert_not_added(dir.path(), &wrong, "auth-failed", &before).await;
    assert!(wrong.err.contains("one-time code"), "{}", wrong.err);
    eprintln!("real wrong-code answer as shown: {}", wrong.err.trim());
    let code = totp_now(TOTP_KEY).await;
    let ok = add_web(
        dir.path(),
        "Totp",
        TOTP_USER,
        &["--otp", &code, "--default"],
    )
    .await
    .ok();
    assert!(ok.out.contains("logged in"), "{}", ok.out);
    let s = run(
        Bai::new(dir.path()),
        &["--profile", "Totp", "--json", "sessions"],
    )
    .await
    .ok();
    let v: serde_json::Value = serde_json::from_str(&s.out).expect("json");
    assert!(v["items"].is_array(), "{v}");

    let name = unique("rm-totp");
    let _cleanup = Cleanup(name.clone(), totp_client);
    let (live, url) = launch_ready(&Bai::new(dir.path()), &name).await;
    kernel_runs_1_plus_1(&url).await;
    live.interrupt();
    let (code, out, err) = live.finish().await;
    // 128 + SIGINT, after the cleanup.
    assert_eq!(code, Some(130), "{out}\n{err}");
    let t = run(Bai::new(dir.path()), &["terminate", &name]).await.ok();
    assert!(
        t.out.contains(&format!("session {name}: TERMINATED")),
        "{}",
        t.out
    );
}

/// A wrong password: not added, and the message is about the email and password (not keys).
#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn webserver_wrong_password_adds_nothing() {
    if !keyring_available("webserver_wrong_password_adds_nothing") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let before = orphan_secrets(dir.path()).await;
    let r = add_web(
        dir.path(),
        "Wrong",
        (WEB_USER.0, "not-the-password"),
        &["--remember-password"],
    )
    .await;
    assert_not_added(dir.path(), &r, "auth-failed", &before).await;
    assert!(r.err.contains("email and password"), "{}", r.err);
    assert!(
        !r.err.contains("secret key") && !r.err.contains("access key"),
        "{}",
        r.err
    );
    eprintln!("real wrong-password answer as shown: {}", r.err.trim());
}

/// max_concurrent_logins = 1: a second login is refused with the 409's clear message (and
/// `add` adds nothing), `--force` logs the other session out; a remembered password never
/// forces on its own.
#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn webserver_login_limit_and_force() {
    if !keyring_available("webserver_login_limit_and_force") {
        return;
    }
    reset_logins(SINGLE_USER).await;
    let dir = tempfile::tempdir().expect("tempdir");
    add_web(dir.path(), "One", SINGLE_USER, &["--remember-password"])
        .await
        .ok();
    let before = orphan_secrets(dir.path()).await;
    let two = add_web(dir.path(), "Two", SINGLE_USER, &[]).await;
    assert_eq!(two.code, Some(1), "{}", two.all());
    assert!(
        two.err.contains("error[active-login-session-exists]"),
        "{}",
        two.err
    );
    assert!(
        two.err.contains("already signed in elsewhere"),
        "{}",
        two.err
    );
    assert!(two.err.contains("--force"), "{}", two.err);
    eprintln!("real 409 as shown by add: {}", two.err.trim());
    assert_eq!(orphan_secrets(dir.path()).await, before);
    let list = run(Bai::new(dir.path()), &["profile", "list"]).await.ok();
    assert!(!list.out.contains("Two"), "{}", list.out);

    add_web(dir.path(), "Two", SINGLE_USER, &["--force"])
        .await
        .ok();
    // "One" was logged out; its remembered password must not force its way back in.
    let one = run(Bai::new(dir.path()), &["--profile", "One", "sessions"]).await;
    assert_eq!(one.code, Some(1), "{}", one.all());
    assert!(
        one.err.contains("error[active-login-session-exists]"),
        "{}",
        one.err
    );
    assert!(
        one.err.contains("bai profile login \"One\" --force"),
        "{}",
        one.err
    );
    run(Bai::new(dir.path()), &["--profile", "Two", "sessions"])
        .await
        .ok();
    let forced = tokio::task::spawn_blocking({
        let b = Bai::new(dir.path());
        move || {
            b.run(
                &["profile", "login", "One", "--password-stdin", "--force"],
                &format!("{}\n", SINGLE_USER.1),
            )
        }
    })
    .await
    .expect("join")
    .ok();
    assert!(forced.out.contains("Logged in"), "{}", forced.out);
    run(Bai::new(dir.path()), &["--profile", "One", "sessions"])
        .await
        .ok();
    let two = run(Bai::new(dir.path()), &["--profile", "Two", "sessions"]).await;
    assert!(two.err.contains("error[login-required]"), "{}", two.all());
    reset_logins(SINGLE_USER).await;
}

/// What the real manager does with `client_type_id`: the limit counts only the sessions of the
/// login's type, so a launcher login (a type the site registered) neither fails nor evicts a
/// web-console session; a login without a type counts them all; an id the site does not have
/// (a 500 from the manager) does not block the login (retried without it).
#[tokio::test]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn webserver_client_type_scopes_the_login_limit() {
    reset_logins(SINGLE_USER).await;
    let typed = |id: &str| LoginOptions {
        client_type_id: Some(id.to_owned()),
        ..LoginOptions::default()
    };
    let browser = web_login(SINGLE_USER, &typed(WEBUI_TYPE))
        .await
        .expect("web-console login");
    let launcher = web_login(SINGLE_USER, &typed(LAUNCHER_TYPE))
        .await
        .expect("a launcher login next to a web-console one");
    let check = web_session(&browser).login_check().await.expect("check");
    assert!(check.authenticated, "the web-console session was evicted");
    let untyped = web_login(SINGLE_USER, &LoginOptions::default())
        .await
        .expect_err("without a type all sessions count");
    assert_eq!(untyped.code(), "active-login-session-exists", "{untyped}");
    for s in [&browser, &launcher] {
        web_session(s).logout().await.expect("logout");
    }
    // An id with no login_client_types row.
    let unknown = web_login(WEB_USER, &typed("0190a3c0-0000-7000-8000-00000000dead"))
        .await
        .expect("an unknown client type must not block the login");
    web_session(&unknown).logout().await.expect("logout");
}
