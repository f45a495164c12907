//! The desktop shell of the Backend.AI Launcher: it wires `bai-core` to Tauri commands and
//! windows, and holds the app's state. Logic belongs in the GUI-free crates; this crate stays
//! thin so that it needs no WebKit to reason about and little to test beyond the wiring.
//!
//! - [`commands`]: the IPC commands the launcher UI calls (each listed in `build.rs`)
//! - [`error`]: [`CommandError`], the `{code, message}` every command fails with
//! - [`state`]: [`AppState`], the one place the shell keeps state

pub mod commands;
pub mod error;
pub mod state;

use tauri::Runtime;

pub use commands::app_info::{ApiVersionRange, AppInfo, BuildProfile};
pub use error::CommandError;
pub use state::AppState;

/// Label of the main window. The capability in `capabilities/launcher.json` grants the app
/// commands to this label only, so keep the two in step.
pub const LAUNCHER_WINDOW: &str = "launcher";

/// Registers the app's state and commands on `builder`. `run` passes a fresh Wry builder; tests
/// pass `tauri::test::mock_builder()`, so they drive exactly the wiring the real app uses.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .manage(AppState::default())
        .invoke_handler(commands::handler())
}

/// Runs the desktop app until its last window closes.
pub fn run() {
    if let Err(e) = configure(tauri::Builder::default()).run(tauri::generate_context!()) {
        eprintln!("Backend.AI Launcher could not start: {e}");
        std::process::exit(1);
    }
}
