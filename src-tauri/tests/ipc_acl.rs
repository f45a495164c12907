//! The app commands go through Tauri's real IPC path and the ACL compiled from `build.rs` and
//! `capabilities/`: the launcher window may call them, every other window or origin may not.
//!
//! The context comes from `generate_context!` (the real config and ACL) with no-op assets, not
//! from `tauri::test::mock_context`: that one has an empty ACL and no app manifest, under which
//! Tauri lets every local window call every command, so the refusals below could never fail.

use bai_core::ApiVersion;
use bai_launcher::LAUNCHER_WINDOW;
use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// The app as `bai_launcher::run` builds it, on the mock runtime.
fn app() -> App<MockRuntime> {
    let context = tauri::generate_context!(assets = noop_assets(), test = true);
    bai_launcher::configure(mock_builder())
        .build(context)
        .expect("the app builds on the mock runtime")
}

/// The bundled UI's origin on this platform, as the webview reports it with each IPC call.
fn local_origin() -> &'static str {
    if cfg!(windows) {
        "http://tauri.localhost"
    } else {
        "tauri://localhost"
    }
}

fn request(cmd: &str, url: &str) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: url.parse().expect("a valid URL"),
        body: tauri::ipc::InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, url: &str) -> Result<Value, Value> {
    get_ipc_response(window, request(cmd, url)).map(|body| {
        body.deserialize::<Value>()
            .expect("the command returned JSON")
    })
}

/// Asserts the call was refused by the ACL, which answers with a plain string in debug builds.
fn assert_refused(result: Result<Value, Value>, what: &str) {
    match result {
        Ok(v) => panic!("{what}: expected a refusal, got {v}"),
        Err(Value::String(msg)) => assert!(msg.contains("not allowed"), "{what}: {msg}"),
        Err(other) => panic!("{what}: expected an ACL refusal, got the command error {other}"),
    }
}

/// The launcher window, built from its entry in tauri.conf.json as the real app does at start-up
/// (the mock runtime's event loop, which would do that, never runs here).
fn launcher(app: &App<MockRuntime>) -> WebviewWindow<MockRuntime> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == LAUNCHER_WINDOW)
        .expect("tauri.conf.json declares the launcher window")
        .clone();
    WebviewWindowBuilder::from_config(app, &config)
        .and_then(|b| b.build())
        .expect("the launcher window builds")
}

#[test]
fn launcher_window_gets_app_info_through_ipc() {
    let app = app();
    let info = invoke(&launcher(&app), "app_info", local_origin()).expect("app_info is allowed");
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
fn a_notebook_window_cannot_call_app_info() {
    let app = app();
    let notebook = WebviewWindowBuilder::new(
        &app,
        "notebook-x-jupyterlab",
        WebviewUrl::App("index.html".into()),
    )
    .build()
    .expect("a second window");
    // Even from the app's own origin, the label alone keeps it out.
    assert_refused(
        invoke(&notebook, "app_info", local_origin()),
        "notebook window, local origin",
    );
    // And from where a notebook really lives: the local tunnel.
    assert_refused(
        invoke(&notebook, "app_info", "http://127.0.0.1:49152/lab"),
        "notebook window, tunnel origin",
    );
}

#[test]
fn a_remote_page_in_the_launcher_window_cannot_call_app_info() {
    let app = app();
    assert_refused(
        invoke(&launcher(&app), "app_info", "https://example.com/"),
        "launcher window navigated to a remote page",
    );
}

#[test]
fn commands_missing_from_the_manifest_are_refused() {
    let app = app();
    assert_refused(
        invoke(&launcher(&app), "profile_delete", local_origin()),
        "undeclared command",
    );
}
