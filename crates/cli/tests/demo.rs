//! `bai demo` as a process: what it prints for the official CLI, the JupyterLab check made
//! before anything starts, and how a second demo treats an existing "Demo" profile. The
//! demo starts JupyterLab only when a notebook is opened, so these tests give it a stand-in
//! `jupyter` that is never run.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::live::Live;
use common::*;

/// An executable stand-in for `jupyter`: the demo only checks that one exists before serving.
fn fake_jupyter(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let exe = dir.join("fake-jupyter");
    std::fs::write(&exe, "#!/bin/sh\nexit 1\n").expect("script");
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    exe
}

/// `bai` with no keyring, a private config dir and the stand-in JupyterLab.
fn demo_bai(dir: &Path) -> Bai {
    let exe = fake_jupyter(dir);
    Bai::offline(dir).env(bai_testkit::JUPYTER_ENV, exe.to_str().expect("utf-8 path"))
}

/// The demo's `export NAME=value` lines, in order.
fn exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn endpoint_of(live: &Live) -> String {
    live.wait_line(|l| l.starts_with("demo Backend.AI manager: "))
        .await
        .trim_start_matches("demo Backend.AI manager: ")
        .to_owned()
}

async fn stop(live: Live) -> String {
    live.interrupt();
    let (code, out, err) = live.finish().await;
    // Stopped by Ctrl-C, after the cleanup: the shell's 128 + SIGINT.
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert!(out.contains("demo stopped"), "{out}");
    out
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("join")
}

/// `NAME -> endpoint` from `bai profile list`.
async fn profiles(dir: &Path) -> Vec<(String, String)> {
    let b = Bai::offline(dir);
    let list = blocking(move || b.run(&["profile", "list"], "").ok()).await;
    list.out
        .lines()
        .skip(1)
        .filter_map(|l| {
            let w: Vec<&str> = l
                .trim_start_matches(['*', ' '])
                .split_whitespace()
                .collect();
            Some((w.first()?.to_string(), w.get(2)?.to_string()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_the_official_cli_variables_and_serves_until_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = Live::spawn(&demo_bai(dir.path()), &["demo", "--no-profile"]);
    let endpoint = endpoint_of(&live).await;
    live.wait_line(|l| l.starts_with("serving;")).await;
    let vars = exports(&live.text());
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "BACKEND_ENDPOINT",
            "BACKEND_ACCESS_KEY",
            "BACKEND_SECRET_KEY",
            "BACKEND_ENDPOINT_TYPE"
        ],
        "{}",
        live.text()
    );
    assert_eq!(vars[0].1, endpoint);
    assert_eq!(vars[1].1, AK);
    assert_eq!(vars[3].1, "api");
    let secret = vars[2].1.clone();
    // Each demo run has its own secret key; the published one is refused.
    assert_ne!(secret, SK, "the demo accepts the published secret key");
    assert!(
        live.text().contains("made for this run only"),
        "{}",
        live.text()
    );
    // Exactly what a user gets after pasting the lines (`bai` reads the same variables).
    let mut b = Bai::offline(dir.path());
    for (k, v) in &vars {
        b = b.env(k, v);
    }
    let r = blocking(move || b.run(&["sessions"], "")).await.ok();
    assert!(r.out.contains("no active sessions"), "{}", r.out);
    let b = Bai::offline(dir.path())
        .env("BACKEND_ENDPOINT", &endpoint)
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", SK);
    let r = blocking(move || b.run(&["sessions"], "")).await;
    assert_ne!(
        r.code,
        Some(0),
        "the published key was accepted: {}",
        r.all()
    );
    stop(live).await;
    // The server is gone with it, and with it the key.
    assert!(std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).is_err());

    let again = Live::spawn(&demo_bai(dir.path()), &["demo", "--no-profile"]);
    again.wait_line(|l| l.starts_with("serving;")).await;
    let next = exports(&again.text());
    assert_ne!(next[2].1, secret, "two runs printed the same secret key");
    stop(again).await;
}

#[test]
fn without_jupyterlab_the_demo_refuses_before_starting_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let empty = dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).expect("dir");
    let mut b = Bai::offline(dir.path())
        .env("HOME", home.to_str().expect("utf-8"))
        // Nowhere on PATH is a `jupyter`.
        .env("PATH", empty.to_str().expect("utf-8"));
    b.remove_env
        .extend(["BAI_CACHE".to_owned(), bai_testkit::JUPYTER_ENV.to_owned()]);
    let started = Instant::now();
    let r = b.run(&["demo", "--launch", "--no-open"], "");
    // Refused at once, not after a launch that waits for an app that never answers.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.err.contains("error[jupyter-missing]"), "{}", r.err);
    let venv = home.join(".cache/bai-launcher/jupyter");
    let venv = venv.display();
    assert!(
        r.err.contains(&format!(
            "python3 -m venv {venv} && {venv}/bin/python -m pip install jupyterlab"
        )),
        "no install command for the venv bai looks in: {}",
        r.err
    );
    assert!(
        r.err
            .contains("export BAI_TESTKIT_JUPYTER=/path/to/bin/jupyter"),
        "{}",
        r.err
    );
    assert!(!r.err.contains("scripts/"), "a repo-only script: {}", r.err);
    assert!(!r.err.contains("WARN"), "{}", r.err);
    // Nothing started, nothing saved.
    assert!(!r.out.contains("demo Backend.AI manager"), "{}", r.out);
    let list = b.run(&["profile", "list"], "").ok();
    assert!(!list.out.contains("Demo"), "{}", list.out);

    // A variable that names no executable is reported as such.
    let b = b.env(bai_testkit::JUPYTER_ENV, "/nonexistent/bin/jupyter");
    let r = b.run(&["demo"], "");
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.err.contains(
            "BAI_TESTKIT_JUPYTER is set to /nonexistent/bin/jupyter, which is not an executable file"
        ),
        "{}",
        r.err
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_demo_gets_its_own_profile_and_a_stale_one_is_repointed_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Live::spawn(&demo_bai(dir.path()), &["demo"]);
    let first_url = endpoint_of(&first).await;
    first.wait_line(|l| l.starts_with("serving;")).await;
    let second = Live::spawn(&demo_bai(dir.path()), &["demo"]);
    let second_url = endpoint_of(&second).await;
    second.wait_line(|l| l.starts_with("serving;")).await;
    // The first demo is still answering, so its profile keeps pointing at it.
    assert!(
        second.text().contains(&format!(
            "profile \"Demo\" is left as it is: another demo is answering at {first_url}"
        )),
        "{}",
        second.text()
    );
    assert_eq!(
        profiles(dir.path()).await,
        [
            ("Demo".to_owned(), first_url.clone()),
            ("Demo-2".to_owned(), second_url.clone())
        ]
    );
    stop(first).await;
    stop(second).await;

    // Both are gone now: the next demo takes "Demo" over, and says from where.
    let third = Live::spawn(&demo_bai(dir.path()), &["demo"]);
    let third_url = endpoint_of(&third).await;
    third.wait_line(|l| l.starts_with("serving;")).await;
    assert!(
        third.text().contains(&format!(
            "profile \"Demo\" re-pointed from {first_url} (no longer answering) to this demo"
        )),
        "{}",
        third.text()
    );
    stop(third).await;
    assert_eq!(
        profiles(dir.path()).await,
        [
            ("Demo".to_owned(), third_url),
            ("Demo-2".to_owned(), second_url)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_called_demo_for_a_real_cluster_is_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = Bai::offline(dir.path());
    let cluster = "https://bai.example.com";
    blocking(move || {
        b.run(
            &[
                "profile",
                "add",
                "Demo",
                "--endpoint",
                cluster,
                "--offline",
                "--email",
                EMAIL,
            ],
            "",
        )
        .ok()
    })
    .await;
    let live = Live::spawn(&demo_bai(dir.path()), &["demo"]);
    let url = endpoint_of(&live).await;
    live.wait_line(|l| l.starts_with("serving;")).await;
    assert!(
        live.text().contains(&format!(
            "profile \"Demo\" is left as it is: it points at {cluster}, not at a demo"
        )),
        "{}",
        live.text()
    );
    stop(live).await;
    assert_eq!(
        profiles(dir.path()).await,
        [
            ("Demo".to_owned(), cluster.to_owned()),
            ("Demo-2".to_owned(), url)
        ]
    );
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        if after.split_whitespace().nth(1) == Some(pid.to_string().as_str()) {
            found.push(child);
        }
    }
    found
}

/// Whether `pid` is still a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        after.split_whitespace().next() != Some("Z")
    })
}

/// Closing the terminal of `bai demo --launch` (SIGHUP) stops its JupyterLab, which runs in a
/// process group of its own and so gets no SIGHUP from the terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_stops_the_demo_and_its_jupyterlab_and_exits_129() {
    let Some(jupyter) = bai_testkit::find_jupyter() else {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(
            !ci,
            "no JupyterLab ({} unset) under CI",
            bai_testkit::JUPYTER_ENV
        );
        eprintln!("SKIPPED: no JupyterLab; set {}", bai_testkit::JUPYTER_ENV);
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let b = Bai::offline(dir.path()).env(bai_testkit::JUPYTER_ENV, jupyter.to_str().expect("path"));
    let live = Live::spawn(&b, &["demo", "--launch", "--no-open", "--no-profile"]);
    live.wait_line(|l| l.starts_with("tunnel on")).await;
    let lab = children(live.id());
    assert!(!lab.is_empty(), "no JupyterLab process under bai");
    live.signal("HUP");
    let (code, out, err) = live.finish().await;
    assert_eq!(code, Some(129), "{out}\n{err}");
    assert!(out.contains("demo stopped"), "{out}\n{err}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while lab.iter().any(|p| alive(*p)) {
        assert!(
            Instant::now() < deadline,
            "JupyterLab outlived the demo: {lab:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
