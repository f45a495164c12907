//! The tray icon. On Linux, Tauri reports no clicks on the icon itself, so every action is a
//! menu item; each one calls a plain function that tests and other code paths can call too.
//! The full menu (quick start, sessions, default profile) comes with launches in phase 2.

use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::LAUNCHER_WINDOW;

const SHOW: &str = "show-launcher";
const QUIT: &str = "quit";

pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, SHOW, "Show launcher", true, None::<&str>)?;
    let quit_item = MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit_item])?;
    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("Backend.AI Launcher")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match event.id().as_ref() {
            SHOW => show_launcher(app),
            QUIT => quit(app),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Show, restore and focus the launcher window (tray item, second app start).
pub fn show_launcher<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(LAUNCHER_WINDOW) else {
        tracing::warn!("no launcher window to show");
        return;
    };
    for result in [window.unminimize(), window.show(), window.set_focus()] {
        if let Err(e) = result {
            tracing::warn!("could not show the launcher window: {e}");
        }
    }
}

/// Quit: `RunEvent::Exit` then stops what the app started.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("quit from the tray");
    app.exit(0);
}
