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
    // Ctrl-C ends it as the shell reports a process it stopped, after the cleanup.
    assert_eq!(code, Some(130), "{out}\n{err}");
    // Progress on stderr; stdout holds the result only, so `URL=$(bai launch …)` works.
    for status in ["PENDING", "SCHEDULED", "PREPARING", "RUNNING"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with('[') && l.contains(&format!("s] {status}"))),
            "no {status} line:\n{err}"
        );
    }
    assert_eq!(out, url, "stdout holds more than the URL");
    assert!(err.contains("session bin-1 keeps running"), "{err}");
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
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert!(err.contains("session bin-2 terminated"), "{err}");
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
    assert!(err.contains("interrupted: cancelling the launch"), "{err}");
    // Said once, naming the session as the user knows it.
    assert_eq!(err.matches("launch cancelled").count(), 1, "{err}");
    assert!(
        err.contains("error[launch-cancelled]: launch cancelled; session \"bin-3\" was destroyed"),
        "{err}"
    );
    assert_eq!(out, "", "nothing on stdout without a result");
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
        again.err_text().contains("(already existed)"),
        "{}",
        again.err_text()
    );
    again.interrupt();
    let (code, _, _) = again.finish().await;
    assert_eq!(code, Some(130));
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
    assert_eq!(code, Some(130), "{out}\n{err}");
    // It says that the browser was started, and with what.
    assert!(err.contains("opened it in your browser"), "{err}");

    // A browser command that finds no browser (exits non-zero at once) is reported as such,
    // with the URL to open by hand, instead of taken for success.
    let live = Live::spawn(
        &env_bai(dir.path(), &kit.manager_url())
            .env("BROWSER", "false")
            .env("XDG_RUNTIME_DIR", runtime.path().to_str().expect("path")),
        &["open", "bin-browser"],
    );
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    live.interrupt();
    let (_, out, err) = live.finish().await;
    assert!(err.contains("no browser was opened"), "{err}");
    assert!(err.contains("false found no browser"), "{err}");
    assert!(err.contains("Open the URL above by hand"), "{err}");
    assert!(!err.contains("opened it in your browser"), "{err}");
    assert!(out.contains("token="), "the URL to open by hand: {out}");
}

/// A launch that `signal` stops while the session is still PREPARING: cleaned up (the session
/// this launch created is destroyed), then the shell's `128 + signal`.
async fn signal_during_the_launch(signal: &str, name: &str) -> (Option<i32>, String) {
    let kit = kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Preparing));
    let dir = tempfile::tempdir().expect("tempdir");
    let live = Live::spawn(
        &env_bai(dir.path(), &kit.manager_url()),
        &["launch", "--image", "python", "--name", name, "--no-open"],
    );
    live.wait_line(|l| l.contains("s] PREPARING")).await;
    live.signal(signal);
    let (code, _, err) = live.finish().await;
    assert!(err.contains("interrupted: cancelling the launch"), "{err}");
    wait_status(&kit, name, |s| {
        matches!(
            s,
            Some(Status::Terminated | Status::Terminating | Status::Cancelled)
        )
    })
    .await;
    (code, err)
}

/// Closing the terminal (SIGHUP) is Ctrl-C without the keyboard: no session left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_during_the_launch_destroys_the_session_and_exits_129() {
    let (code, err) = signal_during_the_launch("HUP", "hup-1").await;
    assert_eq!(code, Some(129), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_launch_destroys_the_session_and_exits_143() {
    let (code, err) = signal_during_the_launch("TERM", "term-1").await;
    assert_eq!(code, Some(143), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_terminate_on_exit_terminates_and_exits_129() {
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
            "hup-2",
            "--no-open",
            "--terminate-on-exit",
        ],
    );
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    live.signal("HUP");
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(129), "{out}\n{err}");
    wait_status(&kit, "hup-2", |s| s == Some(Status::Terminated)).await;
}

/// `sh -c 'URL=$(bai ARGS)'`: what the substitution captured and bai's exit status, with
/// bai's stderr (which the substitution leaves alone) collected as it comes.
struct Captured {
    child: std::process::Child,
    err: std::sync::Arc<std::sync::Mutex<String>>,
    file: std::path::PathBuf,
}

impl Captured {
    fn spawn(b: &Bai, args: &[&str], dir: &std::path::Path) -> Captured {
        use std::io::{BufRead, BufReader};
        let bai = b.command(args);
        let file = dir.join("captured");
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c")
            .arg(r#"URL=$("$@"); rc=$?; printf '%s\n%s' "$rc" "$URL" > "$0""#)
            .arg(&file)
            .arg(bai.get_program())
            .args(bai.get_args());
        for (k, v) in bai.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        sh.stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = sh.spawn().expect("sh starts");
        let err = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (pipe, e2) = (child.stderr.take().expect("stderr"), err.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = e2.lock().expect("err");
                s.push_str(&line);
                s.push('\n');
            }
        });
        Captured { child, err, file }
    }

    fn err(&self) -> String {
        self.err.lock().expect("err").clone()
    }

    fn err_handle(&self) -> std::sync::Arc<std::sync::Mutex<String>> {
        self.err.clone()
    }

    async fn wait_err(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.err().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in:\n{}",
                self.err()
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// (bai's exit status, what `$(…)` captured), once sh is done.
    async fn finish(mut self, within: Duration) -> (i32, String) {
        let deadline = Instant::now() + within;
        while self.child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("still running after {within:?}:\n{}", self.err());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let text = std::fs::read_to_string(&self.file).expect("captured");
        let (rc, url) = text.split_once('\n').expect("rc and URL");
        (rc.parse().expect("rc"), url.to_owned())
    }
}

/// `URL=$(bai launch …)` gets the URL alone (progress goes to stderr), and a session
/// terminated elsewhere ends the launch, its tunnel closed, within 5 s, with a message and a
/// failure status rather than a tunnel that only serves errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_capture_gets_the_url_alone_and_an_ended_session_ends_the_launch() {
    let kit = kit().await;
    kit.control().set_app_target("jupyterlab", app().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let b = env_bai(dir.path(), &kit.manager_url());
    let sh = Captured::spawn(
        &b,
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "cap-1",
            "--no-open",
        ],
        dir.path(),
    );
    sh.wait_err("tunnel on").await;
    assert!(kit.control().terminate_remotely("cap-1"));
    let err = sh.err_handle();
    let (rc, url) = sh.finish(Duration::from_secs(5)).await;
    let err = err.lock().expect("err").clone();
    assert_eq!(rc, 1, "exit status; stderr:\n{err}");
    assert!(
        url.starts_with("http://127.") && url.contains("/__launcher/auth?token="),
        "{url:?}"
    );
    assert_eq!(url.lines().count(), 1, "{url:?}");
    assert!(
        err.contains("error[session-ended]: session cap-1 has ended (TERMINATED"),
        "{err}"
    );
    assert!(err.contains("[") && err.contains("s] RUNNING"), "{err}");
}

/// The same for `bai open`: the message says the session ended, and how.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_terminated_elsewhere_ends_bai_open_within_5_s() {
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
            "gone-1",
            "--no-open",
        ],
    );
    first.wait_line(|l| l.starts_with("tunnel on")).await;
    first.interrupt();
    first.finish().await;
    let open = Live::spawn(&b, &["open", "gone-1", "--no-open"]);
    open.wait_line(|l| l.starts_with("tunnel on")).await;
    assert!(kit.control().terminate_remotely("gone-1"));
    let ended = Instant::now();
    let (code, out, err) = open.finish().await;
    assert!(ended.elapsed() < Duration::from_secs(5), "{err}");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("error[session-ended]: session gone-1 has ended ("),
        "{err}"
    );
    assert!(!err.contains("gone-1 keeps running"), "{err}");
}

/// A reader that stops early is no error: `bai … | head -1` exits 0 and says nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_quietly_with_0() {
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let b = env_bai(dir.path(), &kit.manager_url());
    // Deterministic: the reading end is closed before bai writes a byte.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut c = b.command(&["images"]);
    c.stdout(writer).stderr(std::process::Stdio::piped());
    let r = tokio::task::spawn_blocking(move || c.output().expect("bai runs"))
        .await
        .expect("join");
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert_eq!(err, "", "a closed pipe is reported");
    // As a user types it.
    let bai = b.command(&["images"]);
    let mut sh = std::process::Command::new("bash");
    sh.arg("-c")
        .arg(r#"set -o pipefail; "$@" | head -1 >/dev/null"#)
        .arg("bash")
        .arg(bai.get_program())
        .args(bai.get_args());
    for (k, v) in bai.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    let r = tokio::task::spawn_blocking(move || sh.output().expect("sh runs"))
        .await
        .expect("join");
    assert_eq!(String::from_utf8_lossy(&r.stderr), "", "bai said something");
    assert!(r.status.success(), "{:?}", r.status);
}

/// A launch that waits says how long it has waited and for how long it may, without flooding
/// a pipe; one waiting for resources the cluster does not have says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_wait_shows_its_elapsed_time_and_limit_and_why_it_waits() {
    let kit = kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Pending));
    let dir = tempfile::tempdir().expect("tempdir");
    let live = Live::spawn(
        &env_bai(dir.path(), &kit.manager_url()),
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "big-1",
            "--no-open",
            "--preset",
            "cpu16-huge",
        ],
    );
    let first = live
        .wait_line(|l| l.contains("still waiting for session big-1 to start (PENDING)"))
        .await;
    assert!(first.ends_with("of at most 30m"), "{first}");
    let hint = live
        .wait_line(|l| l.starts_with("hint: this session does not fit now"))
        .await;
    assert!(
        hint.contains("cpu 16 asked, the resource group has") && hint.contains("`bai presets`"),
        "{hint}"
    );
    live.interrupt();
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert_eq!(out, "", "progress went to stdout");
    // A pipe gets a line after a second of silence, then one every 5 s at most.
    let at: Vec<f64> = err
        .lines()
        .filter(|l| l.contains("] still waiting"))
        .filter_map(|l| l.strip_prefix('[')?.split_once("s]")?.0.trim().parse().ok())
        .collect();
    assert!(!at.is_empty(), "{err}");
    assert!(at.windows(2).all(|w| w[1] - w[0] >= 4.9), "{err}");
}

/// A closed terminal: SIGHUP, and every write to stdout and stderr fails from then on. The
/// cleanup must not stop at the first failed write, nor the exit status change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_no_terminal_left_to_write_to_still_cleans_up() {
    let kit = kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Preparing));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = env_bai(dir.path(), &kit.manager_url()).command(&[
        "launch",
        "--image",
        "python",
        "--name",
        "hup-3",
        "--no-open",
    ]);
    let (out_r, out_w) = std::io::pipe().expect("pipe");
    let (err_r, err_w) = std::io::pipe().expect("pipe");
    c.stdin(std::process::Stdio::null())
        .stdout(out_w)
        .stderr(err_w);
    let mut child = c.spawn().expect("bai starts");
    drop(c);
    // Nobody reads any more, as after the terminal window closed.
    drop((out_r, err_r));
    wait_status(&kit, "hup-3", |s| s == Some(Status::Preparing)).await;
    let ok = std::process::Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok);
    let status = tokio::task::spawn_blocking(move || child.wait().expect("wait"))
        .await
        .expect("join");
    assert_eq!(status.code(), Some(129));
    wait_status(&kit, "hup-3", |s| {
        matches!(
            s,
            Some(Status::Terminated | Status::Terminating | Status::Cancelled)
        )
    })
    .await;
}

/// `-v` logs into a pipe or a file carry no colour codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_in_a_pipe_have_no_colour() {
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let b = env_bai(dir.path(), &kit.manager_url());
    let r = tokio::task::spawn_blocking(move || b.run(&["-v", "sessions"], ""))
        .await
        .expect("join")
        .ok();
    assert!(r.err.contains("DEBUG"), "no log: {}", r.err);
    assert!(!r.err.contains('\x1b'), "colour in a pipe: {:?}", r.err);
}

/// Units as the official CLI reads them, in the create call the built `bai` sends: a bare
/// `--mem 4` is 4 MiB (it used to go out as 4 bytes), and a negative `--cpu` is a value error
/// that names the flag, not clap's "unexpected argument".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mem_4_is_4_mib_and_a_negative_cpu_is_a_value_error() {
    let kit = kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Pending));
    let dir = tempfile::tempdir().expect("tempdir");
    let b = env_bai(dir.path(), &kit.manager_url());
    let live = Live::spawn(
        &b,
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "mem-four",
            "--cpu",
            "1",
            "--mem",
            "4",
            "--no-open",
        ],
    );
    live.wait_line(|l| l.contains("PENDING")).await;
    let config = kit.control().create_config("mem-four").expect("created");
    let slots = &config["resources"];
    assert_eq!(slots["mem"], serde_json::json!("4m"), "{config}");
    assert_eq!(slots["cpu"], serde_json::json!(1), "{config}");
    live.interrupt();
    let _ = live.finish().await;

    let r = b.run(
        &["launch", "--image", "python", "--cpu", "-1", "--no-open"],
        "",
    );
    assert_eq!(r.code, Some(2), "{}", r.err);
    assert!(r.err.contains("--cpu"), "{}", r.err);
    assert!(!r.err.contains("unexpected argument"), "{}", r.err);
    assert!(
        kit.control()
            .sessions()
            .iter()
            .all(|s| s.name == "mem-four"),
        "a refused launch created nothing"
    );
}

/// `bai sessions` shows the idle checker that ends a session first, as the app does, and
/// `--json` gives every checker's report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_show_the_idle_checker_due_first() {
    use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
    let kit = kit().await;
    kit.control()
        .set_idle_policy(bai_testkit::idle::IdlePolicy {
            network_timeout_secs: Some(3600),
            session_lifetime_secs: Some(600),
            ..Default::default()
        });
    let client = Client::new(
        ClientConfig::new(
            bai_core::Endpoint::parse(&kit.manager_url()).expect("endpoint"),
            bai_core::EndpointKind::Api,
        ),
        Credentials::keypair(AK, SK),
    )
    .expect("client");
    client
        .create_session(&CreateSession::new("idle-cli", "python"))
        .await
        .expect("created");
    wait_status(&kit, "idle-cli", |s| s == Some(Status::Running)).await;

    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &'static [&'static str]| {
        let (path, url) = (dir.path().to_owned(), kit.manager_url());
        tokio::task::spawn_blocking(move || env_bai(&path, &url).run(args, "").ok().out)
    };
    let table = run(&["sessions"]).await.expect("ran");
    let line = table
        .lines()
        .find(|l| l.starts_with("idle-cli"))
        .unwrap_or_else(|| panic!("{table}"));
    // No app connection yet, so the network checker reports no time (as the manager does).
    assert!(line.ends_with("9 min left (session lifetime)"), "{table}");
    assert!(
        table
            .lines()
            .next()
            .is_some_and(|h| h.trim_end().ends_with("IDLE")),
        "{table}"
    );

    let json = run(&["--json", "sessions"]).await.expect("ran");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let checks = &v["items"][0]["idle_checks"];
    assert_eq!(checks[0]["checker"], "network_timeout", "{v}");
    assert_eq!(checks[0]["remaining_secs"], serde_json::Value::Null, "{v}");
    assert_eq!(checks[1]["checker"], "session_lifetime", "{v}");
    assert!(
        checks[1]["remaining_secs"]
            .as_f64()
            .is_some_and(|s| s > 500.0 && s <= 600.0),
        "{v}"
    );
}
