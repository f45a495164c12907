//! `backendai-launcher:` links routed as the running app routes them (`deep_link::handle`, which
//! the deep-link plugin calls for a first start's link and for one a second start forwards):
//! `open` shows the launcher and tells it which session to select, once its UI listens;
//! `launch` asks first, and only Start launches with the preset on the testkit; a hostile link
//! changes nothing and
//! is refused with a message. (Opening a link with `xdg-open` is driven in the E2E suite,
//! tests/e2e/test_x_deep_link.py; what a link may say is `bai_core::deep_link`'s unit tests.)

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bai_launcher::deep_link::{self, ToLauncher};
use bai_testkit::{Config, Status};
use common::*;
use serde_json::{Value, json};
use tauri::{Listener, Manager};

/// What the launcher window was sent on the `deep-link` event.
fn record(t: &TestApp) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    t.app.listen_any(deep_link::EVENT, move |e| {
        let v: Value = serde_json::from_str(e.payload()).expect("JSON payload");
        sink.lock().unwrap().push(v);
    });
    seen
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_open_link_waits_for_the_launcher_ui_then_selects_the_session() {
    let t = app();
    let seen = record(&t);
    // A profile exists (added as the UI adds one; the endpoint is never reached here).
    let w = launcher(&t.app);
    let id = add_lab_profile(&w, "http://127.0.0.1:9");
    w.close().expect("closed");
    deep_link::launcher_gone(t.app.handle());

    deep_link::handle(
        t.app.handle(),
        "backendai-launcher://open?profile=Lab&session=my-notebook",
    );
    assert!(
        t.app.get_webview_window("launcher").is_some(),
        "the launcher is shown for the link"
    );
    let open = ToLauncher::Open {
        profile_id: id.clone(),
        profile_name: "Lab".into(),
        session: "my-notebook".into(),
    };
    assert_eq!(deep_link::waiting(t.app.handle()), vec![open]);
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing sent before the UI listens"
    );

    // The UI says it is ready: what waited is sent, once.
    let w = t.app.get_webview_window("launcher").unwrap();
    call(&w, "ui_ready", json!({})).expect("ui_ready");
    let sent = wait_for("the open message", || seen.lock().unwrap().first().cloned());
    assert_eq!(
        sent,
        json!({"kind": "open", "profileId": id, "profileName": "Lab", "session": "my-notebook"})
    );
    assert!(deep_link::waiting(t.app.handle()).is_empty());

    // Now the UI listens: the next link (the opaque form) is sent at once.
    deep_link::handle(
        t.app.handle(),
        "backendai-launcher:open?session=other.one&profile=Lab",
    );
    let sent = wait_for("the second message", || {
        seen.lock().unwrap().get(1).cloned()
    });
    assert_eq!(sent["session"], "other.one");
    assert!(deep_link::waiting(t.app.handle()).is_empty());
}

#[test]
fn hostile_links_are_refused_with_a_message_and_change_nothing() {
    let t = app();
    let seen = record(&t);
    let w = launcher(&t.app);
    add_lab_profile(&w, "http://127.0.0.1:9");
    call(&w, "ui_ready", json!({})).expect("ui_ready");
    let before = std::fs::read_to_string(t.dir.path().join("profiles.toml")).expect("profiles");

    let cases = [
        (
            "backendai-launcher://open?profile=Nope&session=my-notebook",
            "no profile named \"Nope\"",
        ),
        (
            "backendai-launcher://open?profile=Lab&session=my-notebook&endpoint=https%3A%2F%2Fevil.example",
            "\"endpoint\", which a launcher link may not set",
        ),
        (
            "backendai-launcher://launch?profile=Lab&preset=small&secret_key=abc",
            "\"secret_key\"",
        ),
        (
            "backendai-launcher://evil.example:443/open?profile=Lab&session=abcd",
            "host and port",
        ),
        (
            "backendai-launcher://open?profile=Lab%0A&session=abcd",
            "control character",
        ),
        (
            "https://evil.example/?profile=Lab",
            "not a backendai-launcher",
        ),
    ];
    for (i, (link, needle)) in cases.iter().enumerate() {
        deep_link::handle(t.app.handle(), link);
        let sent = wait_for(link, || seen.lock().unwrap().get(i).cloned());
        assert_eq!(sent["kind"], "refused", "{link}: {sent}");
        assert_eq!(sent["error"]["code"], "link-refused", "{link}: {sent}");
        let message = sent["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{link}: {message}");
        assert!(
            !message.contains("evil") && !message.contains("abc\""),
            "{link}: no value of the link is echoed: {message}"
        );
    }
    let after = std::fs::read_to_string(t.dir.path().join("profiles.toml")).expect("profiles");
    assert_eq!(before, after, "a link changes no profile");
    let counts = t.app.state::<bai_launcher::AppState>().service.counts();
    assert_eq!(
        counts.running_launches + counts.ended_launches,
        0,
        "nothing launched"
    );
}

#[test]
fn a_launch_link_asks_first_and_start_launches_with_the_preset() {
    let s = server_with(Config::default());
    s.kit.control().hold_new_sessions_at(Some(Status::Pending));
    let t = app();
    let seen = record(&t);
    let w = launcher(&t.app);
    let id = add_lab_profile(&w, &s.kit.manager_url());
    call(&w, "ui_ready", json!({})).expect("ui_ready");

    deep_link::handle(
        t.app.handle(),
        "backendai-launcher://launch?profile=Lab&preset=cpu02-medium",
    );
    let sent = wait_for("the question", || seen.lock().unwrap().first().cloned());
    assert_eq!(
        sent,
        json!({"kind": "confirm-launch", "profileId": id, "profileName": "Lab", "preset": "cpu02-medium"})
    );
    // Asking starts nothing: a session holds quota, and any page can open a link.
    std::thread::sleep(Duration::from_millis(300));
    let counts = t.app.state::<bai_launcher::AppState>().service.counts();
    assert_eq!(counts.running_launches + counts.ended_launches, 0);
    assert!(s.kit.control().sessions().is_empty());

    // The user presses Start.
    let launch = call(
        &w,
        "launch_preset",
        json!({"profileId": id, "preset": "cpu02-medium"}),
    )
    .expect("launch starts");
    let launch = launch.as_str().expect("a launch id").to_owned();
    let view = call(&w, "launch_status", json!({"launchId": launch})).expect("status");
    assert_eq!(view["profileId"], id.as_str(), "{view}");
    // The session is created with the preset's resources (and a generated name).
    let config = wait_for("the create call", || {
        let sessions = s.kit.control().sessions();
        let name = sessions.first()?.name.clone();
        s.kit.control().create_config(&name)
    });
    assert_eq!(
        config["resources"],
        json!({"cpu": 2, "mem": "4294967296"}),
        "{config}"
    );

    // A preset the cluster does not offer: Start does not launch, and says why.
    let e = call(
        &w,
        "launch_preset",
        json!({"profileId": id, "preset": "nope"}),
    )
    .expect_err("no such preset");
    assert_eq!(e["code"], "invalid-input", "{e}");
    assert!(e["message"].as_str().unwrap().contains("nope"), "{e}");
}
