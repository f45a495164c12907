//! The IPC commands of the launcher UI. Every command here must also be listed in `build.rs`
//! (the ACL manifest) and granted in `capabilities/launcher.json`.

pub mod app_info;

use tauri::Runtime;
use tauri::ipc::Invoke;

/// The handler that routes every app command; `crate::builder` installs it.
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![app_info::app_info]
}
