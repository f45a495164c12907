//! The app as `bai_launcher::run` wires it, on Tauri's mock runtime, with the real ACL.
//!
//! The context comes from `generate_context!` (the real config and ACL) with no-op assets, not
//! from `tauri::test::mock_context`: that one has an empty ACL and no app manifest, under which
//! Tauri lets every local window call every command, so refusals could never fail.
#![allow(dead_code)]

use std::sync::Arc;

use bai_launcher::{AppState, LAUNCHER_WINDOW};
use bai_secrets::MemoryStore;
use serde_json::Value;
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// An app over a fresh config dir and an in-memory secret store.
pub struct TestApp {
    pub app: App<MockRuntime>,
    pub dir: tempfile::TempDir,
    pub secrets: Arc<MemoryStore>,
}

pub fn app() -> TestApp {
    app_with(|s| s)
}

pub fn app_with(adjust: impl FnOnce(AppState) -> AppState) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = Arc::new(MemoryStore::new());
    let state = adjust(AppState::new(dir.path(), secrets.clone()));
    let context = tauri::generate_context!(assets = noop_assets(), test = true);
    let app = bai_launcher::configure(mock_builder(), state)
        .build(context)
        .expect("the app builds on the mock runtime");
    // What the setup does in the real app (the mock runtime's event loop never runs it).
    bai_launcher::start(app.handle());
    TestApp { app, dir, secrets }
}

/// The bundled UI's origin on this platform, as the webview reports it with each IPC call.
pub fn local_origin() -> &'static str {
    if cfg!(windows) {
        "http://tauri.localhost"
    } else {
        "tauri://localhost"
    }
}

pub fn request(cmd: &str, url: &str, args: Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: url.parse().expect("a valid URL"),
        body: tauri::ipc::InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

pub fn invoke_from(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    url: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(window, request(cmd, url, args)).map(|body| {
        body.deserialize::<Value>()
            .expect("the command returned JSON")
    })
}

/// The launcher window, built from its entry in tauri.conf.json as the real app does at start-up
/// (the mock runtime's event loop, which would do that, never runs here).
pub fn launcher(app: &App<MockRuntime>) -> WebviewWindow<MockRuntime> {
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

/// Asserts the call was refused by the ACL, which answers with a plain string in debug builds.
pub fn assert_refused(result: Result<Value, Value>, what: &str) {
    match result {
        Ok(v) => panic!("{what}: expected a refusal, got {v}"),
        Err(Value::String(msg)) => assert!(msg.contains("not allowed"), "{what}: {msg}"),
        Err(other) => panic!("{what}: expected an ACL refusal, got the command error {other}"),
    }
}

/// A testkit on its own runtime, alive as long as this value.
pub struct Server {
    pub kit: bai_testkit::TestKit,
    pub rt: tokio::runtime::Runtime,
}

/// A testkit serving `config` on a runtime of its own (the commands block on theirs).
pub fn server_with(config: bai_testkit::Config) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let kit = rt
        .block_on(bai_testkit::TestKit::start(config))
        .expect("testkit starts");
    Server { kit, rt }
}

/// A command from the launcher window's own origin.
pub fn call(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke_from(w, cmd, local_origin(), args)
}

/// Add the keypair profile "Lab" (the testkit's admin) through IPC; its id. The first profile
/// added is the default one.
pub fn add_lab_profile(w: &WebviewWindow<MockRuntime>, manager_url: &str) -> String {
    let added = call(
        w,
        "add_profile",
        serde_json::json!({"input": {
            "name": "Lab", "endpoint": manager_url, "kind": "api",
            "accessKey": bai_testkit::ADMIN_ACCESS_KEY, "secret": bai_testkit::ADMIN_SECRET_KEY,
        }}),
    )
    .unwrap_or_else(|e| panic!("add_profile failed: {e}"));
    added["id"].as_str().expect("an id").to_owned()
}
