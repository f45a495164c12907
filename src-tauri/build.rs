//! Declares every app command in the ACL manifest, so that a command is callable only where a
//! capability grants it (the "launcher" window), never from a remote page or a notebook window.

/// Every `#[tauri::command]` the shell registers. Keep in step with `commands::handler()`: a
/// command missing here cannot be granted, so the UI would get "not allowed" for it.
const COMMANDS: &[&str] = &["app_info"];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
