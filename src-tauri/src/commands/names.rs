// Every `#[tauri::command]` the shell registers, by name. `build.rs` `include!`s this file to
// declare them in the ACL manifest, and the tests iterate over it, so the three never drift:
// a command missing here cannot be granted, and the UI would get "not allowed" for it.

/// The app commands, in the order `generate_handler!` lists them.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "list_profiles",
    "add_profile",
    "update_profile",
    "rename_profile",
    "remove_profile",
    "set_default_profile",
    "test_connection",
    "detect_endpoint",
    "import_env_profile",
    "orphan_secrets",
    "get_settings",
    "save_settings",
    "start_demo",
    "demo_setup",
    "install_demo_jupyter",
    "ui_ready",
    "watch_sessions",
    "launch_options",
    "launch_session",
    "launch_status",
    "cancel_launch",
    "open_session",
    "terminate_session",
    "keep_alive",
    "launch_preset",
    "keep_idle_session",
    "quick_start",
    "open_in_vscode",
    "launch_history",
    "clear_launch_history",
    "launch_again",
];
