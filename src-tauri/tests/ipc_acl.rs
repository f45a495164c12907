//! The app commands go through Tauri's real IPC path and the ACL compiled from `build.rs` and
//! `capabilities/`: the launcher window may call every one of them, every other window or
//! origin none of them.

mod common;

use bai_core::ApiVersion;
use bai_launcher::COMMANDS;
use common::*;
use serde_json::{Value, json};
use tauri::{WebviewUrl, WebviewWindowBuilder};

#[test]
fn launcher_window_gets_app_info_through_ipc() {
    let t = app();
    let info = invoke_from(&launcher(&t.app), "app_info", local_origin(), json!({}))
        .expect("app_info is allowed");
    assert_eq!(
        info,
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "apiVersions": {
                "oldest": ApiVersion::oldest().to_string(),
                "newest": ApiVersion::newest().to_string(),
            },
            "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        })
    );
    assert_eq!(info["apiVersions"]["oldest"], "v4.20190615");
}

#[test]
fn the_launcher_window_may_call_every_command() {
    // A missing binary makes start_demo fail fast with its own error instead of spawning.
    let t = app_with(|s| s.with_testkit_bin("/nonexistent/bai-testkit"));
    let window = launcher(&t.app);
    for cmd in COMMANDS {
        // No arguments: commands that need some fail on them, after the ACL let them through.
        if let Err(Value::String(msg)) = invoke_from(&window, cmd, local_origin(), json!({})) {
            assert!(
                !msg.contains("not allowed"),
                "{cmd} is refused to the launcher: {msg}"
            );
        }
    }
}

#[test]
fn a_notebook_window_cannot_call_any_command() {
    let t = app();
    let notebook = WebviewWindowBuilder::new(
        &t.app,
        bai_launcher::live::notebooks::base_label(
            "5e9b6c1c-1f0e-4b0c-9a43-7d1a2f0c9e11",
            "jupyterlab",
        ),
        WebviewUrl::App("index.html".into()),
    )
    .build()
    .expect("a second window");
    for cmd in COMMANDS {
        // Even from the app's own origin, the label alone keeps it out.
        assert_refused(
            invoke_from(&notebook, cmd, local_origin(), json!({})),
            &format!("{cmd} from a notebook window, local origin"),
        );
        // And from where a notebook really lives: the local tunnel.
        assert_refused(
            invoke_from(&notebook, cmd, "http://127.0.0.1:49152/lab", json!({})),
            &format!("{cmd} from a notebook window, tunnel origin"),
        );
    }
    // Nor can it subscribe to the app's events (session lists, launch progress).
    for (cmd, args) in [
        (
            "plugin:event|listen",
            json!({"event": "sessions-changed", "target": {"kind": "Any"}, "handler": 0}),
        ),
        (
            "plugin:event|listen",
            json!({"event": "launch-progress", "target": {"kind": "Any"}, "handler": 0}),
        ),
        (
            "plugin:event|emit",
            json!({"event": "sessions-changed", "payload": null}),
        ),
    ] {
        assert_refused(
            invoke_from(&notebook, cmd, "http://127.0.0.1:49152/lab", args),
            &format!("{cmd} from a notebook window"),
        );
    }
    // The refusals did not touch the store.
    assert!(!t.dir.path().join("profiles.toml").exists());
}

#[test]
fn the_launcher_window_may_listen_to_session_events() {
    let t = app();
    let window = launcher(&t.app);
    for event in ["sessions-changed", "launch-progress", "launch-started"] {
        let r = invoke_from(
            &window,
            "plugin:event|listen",
            local_origin(),
            json!({"event": event, "target": {"kind": "Any"}, "handler": 0}),
        );
        assert!(r.is_ok(), "listen to {event} from the launcher: {r:?}");
    }
}

#[test]
fn notebook_labels_are_valid_for_any_session_and_app() {
    use bai_launcher::live::notebooks::{base_label, is_notebook};
    let label = base_label("sess/../ion 1", "my app:v2");
    assert_eq!(label, "notebook-sess____ion_1-my_app_v2");
    assert!(is_notebook(&label));
    let t = app();
    // Tauri accepts it as a window label.
    WebviewWindowBuilder::new(&t.app, &label, WebviewUrl::App("index.html".into()))
        .build()
        .expect("a window with a sanitised label");
}

#[test]
fn a_remote_page_in_the_launcher_window_cannot_call_any_command() {
    let t = app();
    let window = launcher(&t.app);
    for cmd in COMMANDS {
        assert_refused(
            invoke_from(&window, cmd, "https://example.com/", json!({})),
            &format!("{cmd} from a remote page in the launcher window"),
        );
    }
}

#[test]
fn commands_missing_from_the_manifest_are_refused() {
    let t = app();
    assert_refused(
        invoke_from(
            &launcher(&t.app),
            "profile_delete",
            local_origin(),
            json!({}),
        ),
        "undeclared command",
    );
}

#[test]
fn the_capability_grants_exactly_the_declared_commands() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/capabilities/launcher.json"
    ))
    .expect("capabilities/launcher.json");
    let cap: Value = serde_json::from_str(&text).expect("valid JSON");
    let granted: Vec<&str> = cap["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    // The launcher listens to `sessions-changed` and `launch-progress`; nothing else of core.
    expected.extend([
        "core:event:allow-listen".into(),
        "core:event:allow-unlisten".into(),
    ]);
    assert_eq!(granted, expected);
    assert_eq!(cap["windows"], json!(["launcher"]));
}
