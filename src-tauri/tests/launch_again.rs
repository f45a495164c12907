//! "Launch again" through the real IPC path against the testkit: a launch from the form is
//! recorded; once its session has ended, `launch_again` sends the very same create body (as
//! the testkit received both). A name still in use ends the launch with what to do;
//! `launch_history` lists it and `clear_launch_history` forgets it. The CLI's half is
//! crates/cli/tests/launch_again.rs.

mod common;

use std::time::{Duration, Instant};

use bai_testkit::{Config, Status, TestKit};
use common::*;
use serde_json::{Value, json};
use tauri::WebviewWindow;
use tauri::test::MockRuntime;

fn ok(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    call(w, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn bodies(kit: &TestKit, name: &str, n: usize) -> Vec<Value> {
    wait_for(&format!("{n} create calls for {name}"), || {
        let b = kit.control().create_bodies(name);
        (b.len() >= n).then_some(b)
    })
}

fn ended(kit: &TestKit, name: &str) {
    assert!(kit.control().terminate_remotely(name), "no session {name}");
    wait_for(&format!("{name} to end"), || {
        // A PENDING session ends as CANCELLED, a started one as TERMINATED.
        matches!(
            kit.control().session_status(name),
            Some(Status::Cancelled | Status::Terminated)
        )
        .then_some(())
    });
}

#[test]
fn launch_again_sends_the_same_create_body_and_the_history_can_be_cleared() {
    // New sessions stay PENDING: a launch makes its create call and then waits.
    let s = server_with(Config::default());
    s.kit.control().hold_new_sessions_at(Some(Status::Pending));
    let t = app();
    let w = launcher(&t.app);
    let id = add_lab_profile(&w, &s.kit.manager_url());

    ok(
        &w,
        "launch_session",
        json!({"profileId": id, "input": {
            "image": "python", "name": "app-again",
            "resources": {"cpu": "2", "mem": "2g"},
            "mounts": ["data", "models"],
            "environ": {"TZ": "UTC", "GREETING": "hello world"},
            "app": "jupyter",
        }}),
    );
    let first = bodies(&s.kit, "app-again", 1);
    ended(&s.kit, "app-again");

    let history = wait_for("the launch in the history", || {
        let h = ok(&w, "launch_history", json!({"profileId": id}));
        (h["launches"][0]["sessionName"] == "app-again").then_some(h)
    });
    let entry = &history["launches"][0];
    assert_eq!(entry["image"], "python", "{entry}");
    assert_eq!(entry["app"], "jupyter", "{entry}");
    assert_eq!(entry["mounts"], json!(["data", "models"]), "{entry}");
    // The UI sees the variables' names, not their values.
    assert_eq!(entry["environ"], json!(["GREETING", "TZ"]), "{entry}");
    assert!(!history.to_string().contains("hello world"), "{history}");

    // The tray offers it too (the default profile's ended launches).
    // (once the session list has seen it end).
    let again = wait_for("the tray to offer it", || {
        let m = bai_launcher::tray::menu_model(t.app.handle());
        (!m.again.is_empty()).then_some(m.again)
    });
    assert_eq!(again, [(id.clone(), "app-again".to_owned())]);
    let h = ok(&w, "launch_history", json!({"profileId": id}));
    assert_eq!(h["launches"][0]["ended"], true, "{h}");

    let launch = ok(
        &w,
        "launch_again",
        json!({"profileId": id, "session": "app-again"}),
    );
    assert!(
        launch.as_str().is_some_and(|l| l.starts_with("launch-")),
        "{launch}"
    );
    let both = bodies(&s.kit, "app-again", 2);
    assert_eq!(both[0], first[0]);
    assert_eq!(both[1], both[0], "launch again asked for something else");
    assert_eq!(both[0]["config"]["environ"]["GREETING"], "hello world");
    assert_eq!(both[0]["config"]["resources"]["cpu"], 2);

    // Once the list shows it alive again, neither the tray nor the history offers it.
    ok(&w, "watch_sessions", json!({"profileId": id}));
    wait_for("the tray to drop the live session", || {
        bai_launcher::tray::menu_model(t.app.handle())
            .again
            .is_empty()
            .then_some(())
    });
    let h = ok(&w, "launch_history", json!({"profileId": id}));
    assert_eq!(h["launches"][0]["ended"], false, "{h}");

    // The same name while that session still lives: the launch fails saying what to do.
    let taken = ok(
        &w,
        "launch_again",
        json!({"profileId": id, "session": "app-again"}),
    );
    let view = wait_for("the launch to fail", || {
        let v = ok(&w, "launch_status", json!({"launchId": taken}));
        (v["phase"] == "failed").then_some(v)
    });
    assert_eq!(view["error"]["code"], "session-name-taken", "{view}");
    assert!(
        view["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("terminate it first")),
        "{view}"
    );
    assert_eq!(s.kit.control().create_bodies("app-again").len(), 2);

    // No secret is in the history file.
    let text = std::fs::read_to_string(t.dir.path().join("launch-history.json")).expect("history");
    assert!(!text.contains(bai_testkit::ADMIN_SECRET_KEY), "{text}");

    let cleared = ok(&w, "clear_launch_history", json!({"profileId": id}));
    assert_eq!(cleared, 1);
    let h = ok(&w, "launch_history", json!({"profileId": id}));
    assert_eq!(h["launches"], json!([]), "{h}");
    let gone = call(
        &w,
        "launch_again",
        json!({"profileId": id, "session": "app-again"}),
    )
    .expect_err("nothing to launch again");
    assert_eq!(gone["code"], "not-in-history", "{gone}");
}
