//! The real `bai` binary against the testkit (environment mode, no keyring): launch with
//! progress lines and a working URL, and what Ctrl-C (SIGINT to the process) does at each
//! point. `bai demo` is in `demo.rs`.

mod common;

use std::time::{Duration, Instant};

use bai_testkit::{Config, Schedule, Status, TestKit};
use common::live::Live;
use common::*;

async fn kit() -> TestKit {
    TestKit::start(Config {
        schedule: Schedule::uniform(Duration::from_millis(50)),
        ..Config::default()
    })
    .await
    .expect("testkit")
}

fn env_bai(dir: &std::path::Path, endpoint: &str) -> Bai {
    Bai::offline(dir)
        .env("BACKEND_ENDPOINT", endpoint)
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", SK)
}

/// An HTTP app answering `hello from the app` (the tunnel's target).
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
                let body = "hello from the app";
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(format!("{head}{body}").as_bytes()).await;
            });
        }
    });
    addr
}

async fn wait_status(
    kit: &TestKit,
    name: &str,
    ok: impl Fn(Option<Status>) -> bool,
) -> Option<Status> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = kit.control().session_status(name);
        if ok(s) {
            return s;
        }
        assert!(Instant::now() < deadline, "session {name} is {s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_prints_progress_and_a_working_url_and_ctrl_c_keeps_the_session() {
    let kit = kit().await;
    kit.control().set_app_target("jupyterlab", app().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let live = Live::spawn(
        &env_bai(dir.path(), &kit.manager_url()),
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "bin-1",
            "--no-open",
        ],
    );
    let url = live
        .wait_line(|l| l.starts_with("http://127.") && l.contains("/__launcher/auth?token="))
        .await;
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let r = http.get(&url).send().await.expect("GET the auth URL");
    assert_eq!(r.status().as_u16(), 200);
    let origin = url.split("/__launcher").next().expect("origin");
    let r = http.get(format!("{origin}/")).send().await.expect("GET /");
    assert_eq!(r.text().await.expect("body"), "hello from the app");
    // Without the cookie, nothing reaches the app.
    let bare = reqwest::Client::new()
        .get(format!("{origin}/"))
        .send()
        .await
        .expect("GET");
    assert_eq!(bare.status().as_u16(), 403);

    live.interrupt();
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    for status in ["PENDING", "SCHEDULED", "PREPARING", "RUNNING"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with('[') && l.contains(&format!("s] {status}"))),
            "no {status} line:\n{out}"
        );
    }
    assert!(out.contains("session bin-1 keeps running"), "{out}");
    assert!(!err.contains("token="), "the URL leaked to stderr: {err}");
    assert_eq!(kit.control().session_status("bin-1"), Some(Status::Running));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_after_ready_with_terminate_on_exit_terminates() {
    let kit = kit().await;
    kit.control().set_app_target("jupyterlab", app().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let live = Live::spawn(
        &env_bai(dir.path(), &kit.manager_url()),
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "bin-2",
            "--no-open",
            "--terminate-on-exit",
        ],
    );
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    live.interrupt();
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("session bin-2 terminated"), "{out}");
    wait_status(&kit, "bin-2", |s| s == Some(Status::Terminated)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_the_launch_destroys_the_session_it_created() {
    let kit = kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Preparing));
    let dir = tempfile::tempdir().expect("tempdir");
    let live = Live::spawn(
        &env_bai(dir.path(), &kit.manager_url()),
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "bin-3",
            "--no-open",
        ],
    );
    live.wait_line(|l| l.contains("s] PREPARING")).await;
    live.interrupt();
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert!(out.contains("interrupted: cancelling the launch"), "{out}");
    assert!(err.contains("error[launch-cancelled]"), "{err}");
    let s = wait_status(&kit, "bin-3", |s| {
        matches!(s, Some(Status::Terminated | Status::Terminating))
    })
    .await;
    assert!(s.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_reusing_never_destroys_the_existing_session() {
    let kit = kit().await;
    kit.control().set_app_target("jupyterlab", app().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let b = env_bai(dir.path(), &kit.manager_url());
    let first = Live::spawn(
        &b,
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "bin-4",
            "--no-open",
        ],
    );
    first.wait_line(|l| l.starts_with("tunnel on")).await;
    first.interrupt();
    first.finish().await;
    // Attach to it again: a reused session is not this launch's to destroy.
    let again = Live::spawn(
        &b,
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "bin-4",
            "--reuse",
            "--no-open",
        ],
    );
    again.wait_line(|l| l.starts_with("ready:")).await;
    assert!(
        again.text().contains("(already existed)"),
        "{}",
        again.text()
    );
    again.interrupt();
    let (code, _, _) = again.finish().await;
    assert_eq!(code, Some(0));
    assert_eq!(kit.control().session_status("bin-4"), Some(Status::Running));
    // Without --reuse the name is taken.
    let r = tokio::task::spawn_blocking(move || {
        b.run(
            &[
                "launch",
                "--image",
                "python",
                "--name",
                "bin-4",
                "--no-open",
            ],
            "",
        )
    })
    .await
    .expect("join");
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.err.contains("error[session-name-taken]"), "{}", r.err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = Bai::offline(dir.path());
    let r = b.run(&["launch", "--preset", "cpu01-small", "--cpu", "2"], "");
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.err.contains("cannot be used with"), "{}", r.err);
}

/// `ps` shows every local user a browser's command line: the one `bai launch` starts must hold
/// no secret, only the path of a file no one else can read, whose single-use URL dies once used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_command_line_holds_no_secret_and_its_link_works_once() {
    use std::os::unix::fs::PermissionsExt;
    let kit = kit().await;
    kit.control().set_app_target("jupyterlab", app().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = tempfile::tempdir().expect("runtime dir");
    let seen = dir.path().join("browser-argv");
    let browser = dir.path().join("fake-browser");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", seen.display()),
    )
    .expect("script");
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let live = Live::spawn(
        &env_bai(dir.path(), &kit.manager_url())
            .env("BROWSER", browser.to_str().expect("path"))
            .env("XDG_RUNTIME_DIR", runtime.path().to_str().expect("path")),
        &["launch", "--image", "python", "--name", "bin-browser"],
    );
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.exists() {
        assert!(Instant::now() < deadline, "the browser was not started");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    let argv = std::fs::read_to_string(&seen).expect("argv");
    assert!(
        !argv.contains("token="),
        "a secret on the command line: {argv}"
    );
    let path = argv
        .trim()
        .strip_prefix("file://")
        .unwrap_or_else(|| panic!("a file URL: {argv}"));
    let meta = std::fs::metadata(path).expect("the redirect file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{path}");
    let folder = std::path::Path::new(path).parent().expect("folder");
    assert_eq!(
        std::fs::metadata(folder)
            .expect("folder")
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let page = std::fs::read_to_string(path).expect("page");
    let url = page
        .split("url=")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a redirect URL")
        .replace("&amp;", "&");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let r = browser.get(&url).send().await.expect("the link");
    assert_eq!(r.status().as_u16(), 200);
    let origin = url.split("/__launcher").next().expect("origin");
    let r = browser
        .get(format!("{origin}/"))
        .send()
        .await
        .expect("GET /");
    assert_eq!(r.text().await.expect("body"), "hello from the app");
    // The same link again, as another user who copied it would try: dead.
    let again = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(&url)
        .send()
        .await
        .expect("again");
    assert_eq!(again.status().as_u16(), 403);
    live.interrupt();
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(0), "{out}\n{err}");
}
