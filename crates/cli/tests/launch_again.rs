//! `bai launch --again SESSION` on the real binary against the testkit: a launch with an
//! image, resources, mounts and environment is recorded; once its session has ended, launching
//! it again sends the very same create body (compared as the testkit received them). A name
//! still in use is refused with what to do; `--name` launches a copy under another name; no
//! secret is written to the config folder.

mod common;

use std::time::{Duration, Instant};

use bai_testkit::{Config, Schedule, Status, TestKit};
use common::live::Live;
use common::*;

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

async fn wait_ended(kit: &TestKit, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = kit.control().session_status(name);
        if s == Some(Status::Terminated) {
            return;
        }
        assert!(Instant::now() < deadline, "session {name} is {s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Launch with `args`, wait until the tunnel is up, then Ctrl-C (ending the session when the
/// args say `--terminate-on-exit`). Returns stderr.
async fn launch_until_ready(bai: &Bai, args: &[&str]) -> String {
    let live = Live::spawn(bai, args);
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    live.interrupt();
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(130), "{out}\n{err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_again_sends_the_same_create_body() {
    let kit = TestKit::start(Config {
        schedule: Schedule::uniform(Duration::from_millis(50)),
        ..Config::default()
    })
    .await
    .expect("testkit");
    kit.control().set_app_target("jupyterlab", app().await);
    kit.control().set_app_target("jupyter", app().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::offline(dir.path())
        .env("BACKEND_ENDPOINT", &kit.manager_url())
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", SK);

    launch_until_ready(
        &bai,
        &[
            "launch",
            "--image",
            "python",
            "--name",
            "again-1",
            "--cpu",
            "2",
            "--mem",
            "2g",
            "-m",
            "data",
            "-m",
            "models:/home/work/m",
            "-e",
            "TZ=UTC",
            "-e",
            "GREETING=hello world",
            "--app",
            "jupyter",
            "--no-open",
            "--terminate-on-exit",
        ],
    )
    .await;
    wait_ended(&kit, "again-1").await;

    let listed = bai.run(&["history", "list"], "").ok();
    assert!(listed.out.contains("again-1"), "{}", listed.all());

    let err = launch_until_ready(
        &bai,
        &[
            "launch",
            "--again",
            "again-1",
            "--no-open",
            "--terminate-on-exit",
        ],
    )
    .await;
    assert!(err.contains("launching again-1 again"), "{err}");
    assert!(
        err.contains("ready: jupyter of session again-1"),
        "the same app: {err}"
    );
    wait_ended(&kit, "again-1").await;

    let bodies = kit.control().create_bodies("again-1");
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert_eq!(
        bodies[0], bodies[1],
        "the relaunch asked for something else"
    );
    // The body is the one that was asked for, not an empty one that matches itself.
    let b = &bodies[0];
    assert_eq!(b["config"]["resources"]["cpu"], 2, "{b}");
    assert_eq!(
        b["config"]["mounts"],
        serde_json::json!(["data", "models"]),
        "{b}"
    );
    assert_eq!(b["config"]["mount_map"]["models"], "/home/work/m", "{b}");
    assert_eq!(b["config"]["environ"]["GREETING"], "hello world", "{b}");

    // Launched again while it still runs: refused, saying what to do.
    let live = Live::spawn(&bai, &["launch", "--again", "again-1", "--no-open"]);
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    let taken = bai.run(&["launch", "--again", "again-1", "--no-open"], "");
    assert_eq!(taken.code, Some(1), "{}", taken.all());
    assert!(
        taken.err.contains("error[session-name-taken]") && taken.err.contains("--name"),
        "{}",
        taken.err
    );
    // A copy under another name: the same body but the name.
    launch_until_ready(
        &bai,
        &[
            "launch",
            "--again",
            "again-1",
            "--name",
            "again-2",
            "--no-open",
            "--terminate-on-exit",
        ],
    )
    .await;
    live.interrupt();
    let _ = live.finish().await;
    let copy = kit.control().create_bodies("again-2");
    assert_eq!(copy.len(), 1);
    let mut expected = bodies[0].clone();
    expected["name"] = "again-2".into();
    assert_eq!(copy[0], expected);

    // Unknown to the history: an error naming the way to see it.
    let unknown = bai.run(&["launch", "--again", "never-was"], "");
    assert_eq!(unknown.code, Some(1), "{}", unknown.all());
    assert!(unknown.err.contains("bai history list"), "{}", unknown.err);

    // Nothing in the config folder holds the secret key.
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            assert!(
                !text.contains(SK),
                "the secret key is in {}",
                path.display()
            );
        }
    }
    assert!(
        dir.path().join("launch-history.json").exists(),
        "the history is beside the profiles"
    );

    // Cleared, it is gone.
    bai.run(&["history", "clear"], "").ok();
    let none = bai.run(&["launch", "--again", "again-1"], "");
    assert_eq!(none.code, Some(1), "{}", none.all());
    assert!(none.err.contains("not-in-history"), "{}", none.err);
}
