//! The IPC commands of the launcher UI. Every command here must also be listed in `names.rs`
//! (which `build.rs` turns into the ACL manifest) and granted in `capabilities/launcher.json`.

pub mod app_info;
pub mod demo;
pub mod history;
mod names;
pub mod profiles;
pub mod sessions;
pub mod settings;
pub mod views;
pub mod vscode;

pub use names::COMMANDS;

use tauri::Runtime;
use tauri::ipc::Invoke;

/// The handler that routes every app command; `crate::configure` installs it.
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info::app_info,
        profiles::list_profiles,
        profiles::add_profile,
        profiles::update_profile,
        profiles::rename_profile,
        profiles::remove_profile,
        profiles::set_default_profile,
        profiles::test_connection,
        profiles::detect_endpoint,
        profiles::import_env_profile,
        profiles::orphan_secrets,
        settings::get_settings,
        settings::save_settings,
        demo::start_demo,
        demo::demo_setup,
        demo::install_demo_jupyter,
        app_info::ui_ready,
        sessions::watch_sessions,
        sessions::launch_options,
        sessions::launch_session,
        sessions::launch_status,
        sessions::cancel_launch,
        sessions::open_session,
        sessions::terminate_session,
        sessions::keep_alive,
        sessions::launch_preset,
        sessions::keep_idle_session,
        sessions::quick_start,
        vscode::open_in_vscode,
        history::launch_history,
        history::clear_launch_history,
        history::launch_again,
    ]
}
