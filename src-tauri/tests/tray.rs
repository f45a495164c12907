//! Closing the launcher window keeps the app in the tray, and says so once; the tray's "Show
//! launcher" builds the window anew. (The real window's close button and start at login are driven
//! in the E2E suite, tests/e2e/test_y_tray.py.)

mod common;

use common::*;
use serde_json::json;

#[test]
fn closing_the_launcher_says_once_that_the_app_stays_in_the_tray() {
    let t = app();
    let w = launcher(&t.app);
    assert!(
        bai_launcher::tray::launcher_closed(t.app.handle()),
        "the first close gives the notice"
    );
    assert!(!bai_launcher::tray::launcher_closed(t.app.handle()), "once");
    // Saving the settings page does not bring it back.
    call(
        &w,
        "save_settings",
        json!({"input": {"defaultProfileId": null, "notebookClose": "ask", "startAtLogin": false}}),
    )
    .expect("saved");
    assert!(!bai_launcher::tray::launcher_closed(t.app.handle()));
    let text = std::fs::read_to_string(t.dir.path().join("settings.toml")).expect("settings");
    assert!(text.contains("tray-notice-shown = true"), "{text}");
}

#[test]
fn show_launcher_builds_the_window_when_it_is_closed() {
    use tauri::Manager;
    let t = app();
    assert!(
        t.app.get_webview_window("launcher").is_none(),
        "not made from the config"
    );
    bai_launcher::tray::show_launcher(t.app.handle());
    assert!(t.app.get_webview_window("launcher").is_some());
}
