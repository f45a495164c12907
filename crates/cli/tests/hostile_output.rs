//! What must never come out of the real `bai` binary, whatever the server sends or the user
//! asks to log: credentials in a trace log, and terminal escape sequences from server text.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{Config, FaultKind, FaultRule, Schedule, TestKit};
use common::*;

async fn kit() -> TestKit {
    TestKit::start(Config {
        schedule: Schedule::uniform(Duration::from_millis(50)),
        ..Config::default()
    })
    .await
    .expect("testkit")
}

const IMAGE: &str = "cr.backend.ai/stable/python:3.9-ubuntu20.04";

fn env_bai(dir: &std::path::Path, kit: &TestKit) -> Bai {
    Bai::offline(dir)
        .env("BACKEND_ENDPOINT", &kit.manager_url())
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", SK)
}

fn client(kit: &TestKit) -> Client {
    let config = ClientConfig::new(
        Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        EndpointKind::Api,
    );
    Client::new(config, Credentials::keypair(AK, SK)).expect("client")
}

/// An HTTP app behind the tunnel.
async fn app() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    addr
}

/// A `bai` that runs until interrupted, with its output collected as it comes.
struct Live {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

impl Live {
    fn spawn(b: &Bai, args: &[&str]) -> Live {
        let mut c = b.command(args);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("bai starts");
        let collect = |pipe: Box<dyn std::io::Read + Send>| {
            let text = Arc::new(Mutex::new(String::new()));
            let t = text.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut s = t.lock().expect("text");
                    s.push_str(&line);
                    s.push('\n');
                }
            });
            text
        };
        let out = collect(Box::new(child.stdout.take().expect("stdout")));
        let err = collect(Box::new(child.stderr.take().expect("stderr")));
        Live { child, out, err }
    }

    /// Wait for `needle` on stderr, where progress goes.
    async fn wait_err(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.err.lock().expect("err").contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no {needle:?}; stdout:\n{}\nstderr:\n{}",
                self.out.lock().expect("out"),
                self.err.lock().expect("err")
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    async fn interrupt_and_finish(mut self) -> (String, String) {
        let ok = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "SIGINT delivered");
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "bai did not exit after SIGINT");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        let out = self.out.lock().expect("out").clone();
        let err = self.err.lock().expect("err").clone();
        (out, err)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything that would let a reader of the log act as the user.
fn assert_no_credentials(log: &str) {
    let lower = log.to_ascii_lowercase();
    for needle in [
        "authorization",
        "signmethod",
        "credential=",
        "token=",
        "cookie:",
    ] {
        assert!(!lower.contains(needle), "the log holds {needle:?}:\n{log}");
    }
    assert!(!log.contains(SK), "the log holds the secret key:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_log_holds_no_credentials() {
    let kit = kit().await;
    kit.control().set_app_target("jupyterlab", app().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = env_bai(dir.path(), &kit).env("BAI_LOG", "trace");

    // A launch signs API calls and the tunnel's WebSocket upgrade, whose request tungstenite
    // logs whole at trace level.
    let live = Live::spawn(
        &bai,
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "trace-1",
            "--no-open",
        ],
    );
    live.wait_err("tunnel on").await;
    let (out, err) = live.interrupt_and_finish().await;
    assert!(err.contains("ready:"), "{out}\n{err}");
    // The log is on at trace level (our own request lines are there)...
    assert!(
        err.contains("backend.ai request"),
        "no trace output:\n{err}"
    );
    // ...the upgrade was signed and sent...
    assert!(
        kit.control()
            .requests()
            .iter()
            .any(|r| r.path.contains("/tcpproxy") && r.headers.contains_key("authorization")),
        "no signed tunnel request reached the server"
    );
    // ...and none of it is in the log.
    assert_no_credentials(&err);

    // The same for plain API calls, with every HTTP crate asked for by name.
    let bai = env_bai(dir.path(), &kit).env(
        "BAI_LOG",
        "trace,tungstenite=trace,tokio_tungstenite=trace,hyper=trace,hyper_util=trace,reqwest=trace,rustls=trace,h2=trace",
    );
    let run = tokio::task::spawn_blocking(move || bai.run(&["sessions", "--all"], ""))
        .await
        .expect("join")
        .ok();
    assert!(run.err.contains("backend.ai request"), "{}", run.err);
    assert_no_credentials(&run.err);
}

/// Escape sequences a hostile server might put in session text: a clipboard write (OSC 52), a
/// window title, a screen clear and colour (CSI), and an 8-bit CSI.
const HOSTILE: &str = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\x1b[2J\x1b[31mred\u{9b}1mbold\r";

fn assert_no_escapes(text: &str) {
    for c in ['\x1b', '\x07', '\u{9b}', '\r'] {
        assert!(!text.contains(c), "raw {c:?} in:\n{text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_is_printed_escaped() {
    let kit = kit().await;
    client(&kit)
        .create_session(&CreateSession::new("esc-1", IMAGE))
        .await
        .expect("create");
    assert!(kit.control().fail_session("esc-1", HOSTILE));
    let dir = tempfile::tempdir().expect("tempdir");

    let bai = env_bai(dir.path(), &kit);
    let run = tokio::task::spawn_blocking(move || bai.run(&["sessions", "--all"], ""))
        .await
        .expect("join")
        .ok();
    assert_no_escapes(&run.out);
    assert_no_escapes(&run.err);
    // Shown, visibly, rather than dropped.
    assert!(run.out.contains("esc-1"), "{}", run.out);
    assert!(
        run.out.contains(r"\x1b]52;c;cm0gLXJmIH4=\x07"),
        "{}",
        run.out
    );
    assert!(run.out.contains(r"\x1b]0;pwned\x07"), "{}", run.out);
    assert!(
        run.out.contains(r"\x1b[31mred\u009b1mbold\x0d"),
        "{}",
        run.out
    );

    // JSON output stays valid JSON and holds the exact text.
    let bai = env_bai(dir.path(), &kit);
    let run = tokio::task::spawn_blocking(move || bai.run(&["--json", "sessions", "--all"], ""))
        .await
        .expect("join")
        .ok();
    assert_no_escapes(&run.out);
    let v: serde_json::Value = serde_json::from_str(&run.out).expect("JSON");
    let items = v["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .any(|s| s["status_info"].as_str() == Some(HOSTILE)),
        "{v}"
    );

    // An error message from the server.
    // (`bai sessions` asks for the caller's keypair first, and carries on if that fails.)
    kit.control().fail_next(
        FaultRule::new(
            "/admin/gql",
            FaultKind::Status {
                status: 400,
                type_slug: "invalid-api-params".into(),
                title: format!("bad request{HOSTILE}"),
                error_code: None,
            },
        )
        .times(2),
    );
    let bai = env_bai(dir.path(), &kit);
    let run = tokio::task::spawn_blocking(move || bai.run(&["sessions", "--all"], ""))
        .await
        .expect("join");
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.err.contains(r"\x1b]0;pwned\x07"), "{}", run.err);
    assert_no_escapes(&run.out);
    assert_no_escapes(&run.err);
}
