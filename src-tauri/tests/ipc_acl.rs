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
        "notebook-x-jupyterlab",
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
    // The refusals did not touch the store.
    assert!(!t.dir.path().join("profiles.toml").exists());
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
    let expected: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    assert_eq!(granted, expected);
    assert_eq!(cap["windows"], json!(["launcher"]));
}
