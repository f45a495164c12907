//! The app's followers of the session service, on the mock runtime with the real tunnel and the
//! testkit: a launch opens a notebook window, a session ended on the server turns that window to
//! the status page with a notice, and the tray's Terminate ends a session with no notice. (The
//! service's own flows, without windows, are tested in crates/core/tests/session_service.rs.)

mod common;

use std::time::{Duration, Instant};

use bai_core::live::NoticeKind;
use bai_launcher::AppState;
use bai_testkit::{Config, Schedule};
use common::*;
use serde_json::{Value, json};
use tauri::test::MockRuntime;
use tauri::{App, Manager, WebviewWindow};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A testkit whose sessions' web apps are a plain HTTP server answering 200 to anything.
fn server() -> Server {
    let s = server_with(Config {
        schedule: Schedule::uniform(Duration::from_millis(30)),
        ..Config::default()
    });
    let listener =
        s.rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
    let addr = listener.local_addr().expect("addr");
    s.rt.spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    for app in ["jupyter", "jupyterlab"] {
        s.kit.control().set_app_target(app, addr);
    }
    s
}

fn ok(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    call(w, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn until<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn notebook_windows(app: &App<MockRuntime>) -> Vec<WebviewWindow<MockRuntime>> {
    app.webview_windows()
        .into_values()
        .filter(|w| bai_launcher::live::notebooks::is_notebook(w.label()))
        .collect()
}

/// Launch `name` from the form and wait for it to be ready; its session id.
fn launch_ready(w: &WebviewWindow<MockRuntime>, profile: &str, name: &str) -> String {
    let launch = ok(
        w,
        "launch_session",
        json!({"profileId": profile, "input": {"image": "python", "name": name}}),
    );
    let launch = launch.as_str().expect("a launch id").to_owned();
    until("the launch is ready", || {
        let v = ok(w, "launch_status", json!({"launchId": launch}));
        match v["phase"].as_str() {
            Some("ready") => Some(v["sessionId"].as_str().expect("a session").to_owned()),
            Some("failed" | "cancelled") => panic!("launch ended: {v}"),
            _ => None,
        }
    })
}

#[test]
fn a_ready_launch_opens_a_window_and_an_end_on_the_server_turns_it_to_the_status_page() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let profile = add_lab_profile(&w, &s.kit.manager_url());
    let service = t.app.state::<AppState>().service.clone();

    let session = launch_ready(&w, &profile, "win-remote");
    let window = until("the notebook window", || notebook_windows(&t.app).pop());
    // On the tunnel: a loopback address of its own, at its single-use sign-in URL.
    let url = window.url().expect("url");
    assert!(
        url.host_str().is_some_and(|h| h.starts_with("127.")) && url.path() == "/__launcher/auth",
        "not the tunnel's sign-in page"
    );
    until("the service knows the window", || {
        service.is_open(&session).then_some(())
    });

    {
        // The testkit's control acts on its own runtime.
        let _on = s.rt.enter();
        assert!(s.kit.control().terminate_remotely(&session));
    }
    until("the status page", || {
        let url = window.url().expect("url");
        (url.path().ends_with("notebook-status.html")
            && url.query().is_some_and(|q| q.contains("state=ended")))
        .then_some(())
    });
    let notices = service.notices();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == NoticeKind::SessionEnded && n.body.contains("win-remote")),
        "{notices:?}"
    );
    assert_eq!(service.counts().tunnels, 0);

    // The tray's Terminate: the session ends, its tunnel closes, and that is no news.
    let session = launch_ready(&w, &profile, "win-tray");
    until("the second window is known", || {
        service.is_open(&session).then_some(())
    });
    bai_launcher::tray::terminate_session(t.app.handle(), profile.clone(), session.clone());
    until("the session is terminated on the server", || {
        s.kit
            .control()
            .sessions()
            .iter()
            .any(|k| k.id.to_string() == session && k.status.is_terminal())
            .then_some(())
    });
    until("the tunnel is closed", || {
        (service.counts().tunnels == 0).then_some(())
    });
    let ended: Vec<_> = service
        .notices()
        .into_iter()
        .filter(|n| n.kind == NoticeKind::SessionEnded)
        .collect();
    assert_eq!(ended.len(), 1, "only the remote end was news: {ended:?}");
}

/// An idle checker's deadline shows in the tray's entry (with "Keep alive", as traffic resets
/// this checker), a warning is given, and the `keep_alive` command, through the session's own
/// tunnel, puts the deadline back.
#[test]
fn the_tray_shows_the_idle_deadline_and_keep_alive_puts_it_back() {
    let s = server();
    s.kit
        .control()
        .set_idle_policy(bai_testkit::idle::IdlePolicy {
            network_timeout_secs: Some(3600),
            ..Default::default()
        });
    let t = app();
    let w = launcher(&t.app);
    let profile = add_lab_profile(&w, &s.kit.manager_url());
    let service = t.app.state::<AppState>().service.clone();
    let session = launch_ready(&w, &profile, "win-idle");
    let entry = |needle: &'static str| {
        let (handle, session) = (t.app.handle().clone(), session.clone());
        move || {
            bai_launcher::tray::menu_model(&handle)
                .running
                .into_iter()
                .find(|r| r.session_id == session && r.label.contains(needle))
        }
    };
    until("the tray shows an hour left", entry("min left"));

    // Most of the hour passes for the checker.
    s.kit.control().set_idle_clock(3600 - 400);
    let warned = until("the tray shows the last minutes", entry("6 min left"));
    assert!(warned.keep_alive, "traffic resets this checker: {warned:?}");
    assert!(warned.label.contains("(no network activity)"), "{warned:?}");
    until("the warning", || {
        service
            .notices()
            .into_iter()
            .find(|n| n.kind == NoticeKind::IdleWarning && n.title.contains("win-idle"))
    });

    ok(
        &w,
        "keep_alive",
        json!({"profileId": profile, "sessionId": session}),
    );
    let kept = until("the deadline is back", entry("59 min left"));
    assert!(kept.keep_alive);
}
