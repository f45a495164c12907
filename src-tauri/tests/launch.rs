//! The launch form, quick start and the launch options through the real IPC path against the
//! testkit: a preset reaches the create call exactly as `bai launch --preset` sends it (the
//! CLI's half is `a_preset_reaches_the_create_call_with_normalised_slots_and_its_shared_memory`
//! in crates/cli), and a preset whose fit the cluster cannot tell is not shown as fitting.

mod common;

use std::time::{Duration, Instant};

use bai_testkit::{
    ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, FaultKind, FaultRule, Status, TestKit,
};
use common::*;
use serde_json::{Value, json};
use tauri::WebviewWindow;
use tauri::test::MockRuntime;

/// A testkit whose new sessions stay PENDING, so a launch makes its create call and then
/// waits (no tunnel or window is needed here).
fn server() -> Server {
    let s = server_with(Config::default());
    s.kit.control().hold_new_sessions_at(Some(Status::Pending));
    s
}

fn ok(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    call(w, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn add_profile(w: &WebviewWindow<MockRuntime>, kit: &TestKit) -> String {
    add_lab_profile(w, &kit.manager_url())
}

/// The create call's `config` for the session `name`, once the launch has made it.
fn created(kit: &TestKit, name: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(c) = kit.control().create_config(name) {
            return c;
        }
        assert!(Instant::now() < deadline, "no create call for {name}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What `cpu02-medium` (strings) and `cpu02-numbers` (numbers) both ask for, in either front
/// end: the same literal as the CLI's test.
fn expected_preset_config(config: &Value, what: &str) {
    assert_eq!(
        config["resources"],
        json!({"cpu": 2, "mem": "4294967296"}),
        "{what}"
    );
    assert_eq!(
        config["resource_opts"],
        json!({"shmem": "1073741824"}),
        "{what}: the shared memory is kept"
    );
}

#[test]
fn a_preset_reaches_the_create_call_as_the_cli_sends_it() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let id = add_profile(&w, &s.kit);

    for (name, preset) in [("app-str", "cpu02-medium"), ("app-num", "cpu02-numbers")] {
        let launch = ok(
            &w,
            "launch_session",
            json!({"profileId": id, "input": {"image": "python", "name": name, "preset": preset}}),
        );
        assert!(launch.as_str().is_some(), "{launch}");
        expected_preset_config(&created(&s.kit, name), preset);
    }

    // Custom amounts go through the core's resource parser, as `bai launch --cpu/--mem` do.
    ok(
        &w,
        "launch_session",
        json!({"profileId": id, "input": {"image": "python", "name": "app-custom",
               "resources": {"cpu": "2", "mem": "4GiB", "cuda.shares": ""}}}),
    );
    let custom = created(&s.kit, "app-custom");
    assert_eq!(custom["resources"], json!({"cpu": 2, "mem": "4g"}));
    assert!(custom["resource_opts"].get("shmem").is_none(), "{custom}");

    // An unknown preset or a bad amount is refused before anything is created.
    let before = s.kit.control().sessions().len();
    let e = call(
        &w,
        "launch_session",
        json!({"profileId": id, "input": {"image": "python", "preset": "nope"}}),
    )
    .expect_err("unknown preset");
    assert_eq!(e["code"], "invalid-input", "{e}");
    let msg = e["message"].as_str().expect("message");
    assert!(
        msg.contains("\"nope\"") && msg.contains("cpu01-small, cpu02-medium"),
        "{msg}"
    );
    let e = call(
        &w,
        "launch_session",
        json!({"profileId": id, "input": {"image": "python", "resources": {"mem": "lots"}}}),
    )
    .expect_err("bad amount");
    assert_eq!(e["code"], "invalid-input", "{e}");
    assert_eq!(s.kit.control().sessions().len(), before);
}

#[test]
fn quick_start_keeps_its_presets_shared_memory() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let id = add_profile(&w, &s.kit);
    ok(
        &w,
        "save_settings",
        json!({"input": {"defaultProfileId": id, "notebookClose": "ask", "startAtLogin": false,
               "quickStart": {"image": "python", "preset": "cpu02-numbers"}}}),
    );
    let started = ok(&w, "quick_start", json!({}));
    assert!(started["launchId"].as_str().is_some(), "{started}");
    expected_preset_config(&created(&s.kit, "quick-start"), "quick start");

    // A preset the cluster does not offer: the core's message, with where to fix it.
    ok(
        &w,
        "save_settings",
        json!({"input": {"defaultProfileId": id, "notebookClose": "ask", "startAtLogin": false,
               "quickStart": {"image": "python", "preset": "gone"}}}),
    );
    let e = call(&w, "quick_start", json!({})).expect_err("unknown preset");
    assert_eq!(e["code"], "invalid-input", "{e}");
    let msg = e["message"].as_str().expect("message");
    assert!(
        msg.contains("\"gone\"") && msg.contains("cpu02-numbers") && msg.contains("Settings"),
        "{msg}"
    );
}

#[test]
fn the_launch_form_shows_an_unknown_fit_as_unknown() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let id = add_profile(&w, &s.kit);
    let fit = |o: &Value, name: &str| -> Value {
        o["presets"]
            .as_array()
            .expect("presets")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {o}"))["allocatable"]
            .clone()
    };
    let o = ok(&w, "launch_options", json!({"profileId": id}));
    assert_eq!(fit(&o, "cpu01-small"), json!(true));
    assert_eq!(fit(&o, "cpu16-huge"), json!(false));
    // The same normalised slots the create call gets (cpu as text here: the form shows them).
    let medium = o["presets"]
        .as_array()
        .expect("presets")
        .iter()
        .find(|p| p["name"] == "cpu02-numbers")
        .expect("cpu02-numbers")
        .clone();
    assert_eq!(
        medium["resources"],
        json!({"cpu": "2", "mem": "4294967296"})
    );

    s.kit.control().fail_next(FaultRule::new(
        "/resource/check-presets",
        FaultKind::Status {
            status: 403,
            type_slug: "forbidden".into(),
            title: "Forbidden".into(),
            error_code: None,
        },
    ));
    let o = ok(&w, "launch_options", json!({"profileId": id}));
    assert_eq!(fit(&o, "cpu01-small"), Value::Null, "unknown, not fits");
    assert_eq!(fit(&o, "cpu16-huge"), Value::Null, "unknown, not fits");
    assert!(
        o["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|e| e["code"] == "forbidden")),
        "{o}"
    );
}

/// Wait until `launch` has ended (its last view is final, or it was already pruned).
fn wait_ended(w: &WebviewWindow<MockRuntime>, launch: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match call(w, "launch_status", json!({"launchId": launch})) {
            Ok(v) => {
                let phase = v["phase"].as_str().unwrap_or_default().to_owned();
                if ["ready", "failed", "cancelled"].contains(&phase.as_str()) {
                    return phase;
                }
            }
            Err(e) => {
                assert_eq!(e["code"], "not-found", "{e}");
                return "pruned".into();
            }
        }
        assert!(Instant::now() < deadline, "{launch} never ended");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// 200 launches that end (half refused by the cluster, half cancelled) leave no running launch,
/// no tunnel and no watcher behind, and only a bounded tail of ended launches and notifications.
#[test]
fn two_hundred_ended_launches_leave_only_a_bounded_tail() {
    use bai_core::live::{KEPT_ENDED_LAUNCHES, KEPT_NOTICES};
    use bai_launcher::AppState;
    use tauri::Manager;

    let s = server();
    let t = app();
    let w = launcher(&t.app);
    // The first profile is the default one, watched for the tray; the launches run on another.
    let _default = add_profile(&w, &s.kit);
    let added = ok(
        &w,
        "add_profile",
        json!({"input": {
            "name": "Soak", "endpoint": s.kit.manager_url(), "kind": "api",
            "accessKey": ADMIN_ACCESS_KEY, "secret": ADMIN_SECRET_KEY,
        }}),
    );
    let id = added["id"].as_str().expect("an id").to_owned();
    let live = &t.app.state::<AppState>().service;

    let mut first = None;
    let mut n = 0;
    // `fail` launches the cluster refuses, then `cancel` launches cancelled by the user.
    let mut run = |fail: u32, cancel: u32| {
        s.kit.control().fail_next(
            FaultRule::new(
                "/session",
                FaultKind::Status {
                    status: 400,
                    type_slug: "invalid-request".into(),
                    title: "Refused for the test".into(),
                    error_code: None,
                },
            )
            .method("POST")
            .times(fail),
        );
        for i in 0..fail + cancel {
            let launch = ok(
                &w,
                "launch_session",
                json!({"profileId": id, "input": {"image": "python", "name": format!("soak-{n}")}}),
            );
            n += 1;
            let launch = launch.as_str().expect("a launch id").to_owned();
            first.get_or_insert_with(|| launch.clone());
            if i >= fail {
                ok(&w, "cancel_launch", json!({"launchId": launch}));
            }
            let phase = wait_ended(&w, &launch);
            let expected = if i < fail { "failed" } else { "cancelled" };
            assert_eq!(phase, expected, "launch {n}");
            let c = live.counts();
            assert!(c.ended_launches <= KEPT_ENDED_LAUNCHES, "{c:?}");
            assert!(c.notices <= KEPT_NOTICES, "{c:?}");
        }
    };
    // A warm-up (allocator arenas, connection pools, the bounded tails filled), then the soak:
    // what the app holds after it is what it held before, within 10%.
    run(20, 20);
    let before = rss_kib();
    run(100, 100);
    let after = rss_kib();
    println!(
        "RSS before the soak {before} KiB, after {after} KiB ({:.3}x)",
        after as f64 / before as f64
    );
    assert!(
        after * 10 <= before * 11,
        "RSS grew from {before} KiB to {after} KiB over 200 launches"
    );

    let c = live.counts();
    assert_eq!(c.running_launches, 0, "{c:?}");
    assert_eq!(c.ended_launches, KEPT_ENDED_LAUNCHES, "{c:?}");
    assert_eq!(c.tunnels, 0, "{c:?}");
    assert_eq!(c.notices, KEPT_NOTICES, "{c:?}");
    // A profile is no longer polled once its launches have ended: only the default one is.
    assert_eq!(c.watchers, 1, "{c:?}");
    assert!(c.snapshots <= 1, "{c:?}");
    // What the app said about them names no CLI command.
    for n in live.notices() {
        assert!(!n.body.contains("`bai "), "{n:?}");
    }
    // The oldest ended launch is forgotten; the newest still shows its result.
    let e = call(&w, "launch_status", json!({"launchId": first.unwrap()})).expect_err("pruned");
    assert_eq!(e["code"], "not-found", "{e}");
}

/// This process's resident memory (Linux), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}
