//! The tray icon. On Linux, Tauri reports no clicks on the icon itself, so every action is a
//! menu item, and each item calls a plain function here that tests (and the launcher's own
//! buttons) call too. The menu is rebuilt from [`menu_model`] whenever sessions or profiles
//! change, so it always shows what is current: it follows the session service's events like
//! the launcher window does ([`follow`]), and its actions ask the service.

use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use bai_core::idle::ResetBy;
use bai_core::live::{LiveEvent, Notice, NoticeKind, SessionView};

use crate::LAUNCHER_WINDOW;
use crate::state::AppState;

const TRAY_ID: &str = "main";
const SHOW: &str = "show-launcher";
const QUIT: &str = "quit";
const QUICK_START: &str = "quick-start";
const OPEN: &str = "open|";
const TERMINATE: &str = "terminate|";
const VSCODE: &str = "vscode|";
const DEFAULT: &str = "default|";
const AGAIN: &str = "again|";
const KEEP_ALIVE: &str = "keep-alive|";
/// Ended sessions of the default profile offered under "Launch again".
pub const AGAIN_SHOWN: usize = 5;

/// The tray menu as data: what [`refresh`] turns into GTK/AppKit/Win32 menus, and what tests
/// read (the native menu is out of WebDriver's reach).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuModel {
    /// `None` without a default profile (the item is then disabled).
    pub quick_start_profile: Option<String>,
    pub running: Vec<RunningEntry>,
    /// (profile id, name, is default)
    pub profiles: Vec<(String, String, bool)>,
    /// The default profile's last ended launches, newest first: (profile id, session name).
    pub again: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningEntry {
    pub profile_id: String,
    pub session_id: String,
    /// "<session> (<profile>)", with ", degraded" for `RUNNING_DEGRADED` and the time left
    /// before an idle checker ends it ("· 9 min left").
    pub label: String,
    /// An idle checker that traffic resets runs on it: "Keep alive" is offered.
    pub keep_alive: bool,
}

pub fn menu_model<R: Runtime>(app: &AppHandle<R>) -> MenuModel {
    let state = app.state::<AppState>();
    let (profiles, default) = match state.profiles.load() {
        Ok(l) => (
            l.list()
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect::<Vec<_>>(),
            l.default_profile().map(|p| (p.id.clone(), p.name.clone())),
        ),
        Err(e) => {
            tracing::warn!("tray: cannot read the profiles: {e}");
            (Vec::new(), None)
        }
    };
    let mut running: Vec<RunningEntry> = state
        .service
        .snapshots()
        .iter()
        .flat_map(|snap| {
            snap.sessions
                .iter()
                .filter(|s| s.is_running())
                .map(|s| RunningEntry {
                    profile_id: snap.profile_id.clone(),
                    session_id: s.id.clone(),
                    label: running_label(s, &snap.profile_name),
                    keep_alive: s.idle.iter().any(|c| c.reset_by == ResetBy::Traffic),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    running.sort_by(|a, b| a.label.cmp(&b.label));
    let again = default
        .as_ref()
        .map(|(id, _)| {
            state
                .service
                .recent_ended(id, AGAIN_SHOWN)
                .into_iter()
                .map(|r| (id.clone(), r.session_name))
                .collect()
        })
        .unwrap_or_default();
    MenuModel {
        again,
        quick_start_profile: default.as_ref().map(|(_, n)| n.clone()),
        profiles: profiles
            .into_iter()
            .map(|(id, name)| {
                let is_default = default.as_ref().is_some_and(|(d, _)| d == &id);
                (id, name, is_default)
            })
            .collect(),
        running,
    }
}

pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = build_menu(app, &menu_model(app))?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Backend.AI Launcher")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Follow the session service: the menu is rebuilt when a watched list or the set of watched
/// profiles changes.
pub fn follow<R: Runtime>(app: &AppHandle<R>) {
    crate::live::on_events(app, "tray", |app, event| {
        if matches!(
            event,
            LiveEvent::SessionsChanged(_) | LiveEvent::WatchedChanged
        ) {
            refresh(app);
        }
    });
}

fn running_label(s: &SessionView, profile: &str) -> String {
    let mut label = format!("{} ({profile})", s.name);
    if s.degraded {
        label.push_str(", degraded");
    }
    if let Some(left) = bai_core::idle::first_deadline_words(&s.idle) {
        label.push_str(&format!(" · {left}"));
    }
    label
}

/// Rebuild the tray menu from the current state (no-op without a tray, e.g. in tests).
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let model = menu_model(app);
    match build_menu(app, &model) {
        Ok(menu) => {
            if let Err(e) = tray.set_menu(Some(menu)) {
                tracing::warn!("could not update the tray menu: {e}");
            }
        }
        Err(e) => tracing::warn!("could not build the tray menu: {e}"),
    }
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, model: &MenuModel) -> tauri::Result<Menu<R>> {
    let quick_label = match &model.quick_start_profile {
        Some(p) => format!("Quick start ({p})"),
        None => "Quick start (no default profile)".to_owned(),
    };
    let quick = MenuItem::with_id(
        app,
        QUICK_START,
        quick_label,
        model.quick_start_profile.is_some(),
        None::<&str>,
    )?;

    let running = Submenu::with_id(app, "running", "Running sessions", true)?;
    if model.running.is_empty() {
        running.append(&MenuItem::with_id(
            app,
            "running-none",
            "No running sessions",
            false,
            None::<&str>,
        )?)?;
    }
    for r in &model.running {
        let key = format!("{}|{}", r.profile_id, r.session_id);
        let sub = Submenu::with_id(app, format!("session|{key}"), &r.label, true)?;
        sub.append(&MenuItem::with_id(
            app,
            format!("{OPEN}{key}"),
            "Open",
            true,
            None::<&str>,
        )?)?;
        sub.append(&MenuItem::with_id(
            app,
            format!("{VSCODE}{key}"),
            "Open in VS Code",
            true,
            None::<&str>,
        )?)?;
        if r.keep_alive {
            sub.append(&MenuItem::with_id(
                app,
                format!("{KEEP_ALIVE}{key}"),
                "Keep alive",
                true,
                None::<&str>,
            )?)?;
        }
        sub.append(&MenuItem::with_id(
            app,
            format!("{TERMINATE}{key}"),
            "Terminate",
            true,
            None::<&str>,
        )?)?;
        running.append(&sub)?;
    }

    let again = Submenu::with_id(app, "again", "Launch again", !model.again.is_empty())?;
    for (profile_id, session) in &model.again {
        again.append(&MenuItem::with_id(
            app,
            format!("{AGAIN}{profile_id}|{session}"),
            session,
            true,
            None::<&str>,
        )?)?;
    }

    let profiles = Submenu::with_id(
        app,
        "profiles",
        "Default profile",
        !model.profiles.is_empty(),
    )?;
    for (id, name, is_default) in &model.profiles {
        profiles.append(&CheckMenuItem::with_id(
            app,
            format!("{DEFAULT}{id}"),
            name,
            true,
            *is_default,
            None::<&str>,
        )?)?;
    }

    let show = MenuItem::with_id(app, SHOW, "Show launcher", true, None::<&str>)?;
    let quit_item = MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let items: [&dyn IsMenuItem<R>; 8] = [
        &quick, &running, &again, &profiles, &sep1, &show, &sep2, &quit_item,
    ];
    Menu::with_items(app, &items)
}

/// Route a menu item to its action.
pub fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let pair = |rest: &str| {
        rest.split_once('|')
            .map(|(p, s)| (p.to_owned(), s.to_owned()))
    };
    match id {
        SHOW => show_launcher(app),
        QUIT => quit(app),
        QUICK_START => quick_start(app),
        _ => {
            if let Some((p, s)) = id.strip_prefix(OPEN).and_then(pair) {
                open_session(app, p, s);
            } else if let Some((p, s)) = id.strip_prefix(VSCODE).and_then(pair) {
                open_in_vscode(app, p, s);
            } else if let Some((p, s)) = id.strip_prefix(KEEP_ALIVE).and_then(pair) {
                keep_alive(app, p, s);
            } else if let Some((p, s)) = id.strip_prefix(TERMINATE).and_then(pair) {
                terminate_session(app, p, s);
            } else if let Some((p, s)) = id.strip_prefix(AGAIN).and_then(pair) {
                launch_again(app, p, s);
            } else if let Some(p) = id.strip_prefix(DEFAULT) {
                set_default_profile(app, p);
            }
        }
    }
}

/// Tray "Quick start": the same as the launcher's button. Failures are shown in the launcher.
pub fn quick_start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        if let Err(e) = crate::commands::sessions::quick_start_now(&state).await {
            tracing::warn!(code = %e.code, "quick start from the tray failed: {}", e.message);
            show_launcher(&app);
            crate::live::notify::show(
                &app,
                &Notice {
                    kind: NoticeKind::LaunchFailed,
                    title: "Quick start failed".into(),
                    body: e.message,
                    session: None,
                },
            );
        }
    });
}

/// Tray "Keep alive": app traffic through the session's proxy resets the cluster's
/// network-timeout checker; a failure is shown as a notice.
pub fn keep_alive<R: Runtime>(app: &AppHandle<R>, profile_id: String, session_id: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let service = app.state::<AppState>().service.clone();
        if let Err(e) = service.keep_alive(&profile_id, &session_id).await {
            tracing::warn!(code = %e.code, "keep alive from the tray failed: {}", e.message);
            crate::live::notify::show(
                &app,
                &Notice {
                    kind: NoticeKind::IdleWarning,
                    title: "Could not keep the session alive".into(),
                    body: e.message,
                    session: None,
                },
            );
        }
    });
}

/// Tray "Open" of a running session.
pub fn open_session<R: Runtime>(app: &AppHandle<R>, profile_id: String, session_id: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let service = app.state::<AppState>().service.clone();
        if let Err(e) = service.open(&profile_id, &session_id, None).await {
            tracing::warn!(code = e.code(), "open from the tray failed: {e}");
        }
    });
}

/// Tray "Open in VS Code" of a running session; a failure (no `code`, say) shows the launcher
/// with a notice of what to do.
pub fn open_in_vscode<R: Runtime>(app: &AppHandle<R>, profile_id: String, session_id: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        if let Err(e) = crate::commands::vscode::open(&app, &state, &profile_id, &session_id).await
        {
            tracing::warn!(code = %e.code, "open in VS Code from the tray failed: {}", e.message);
            crate::live::notify::show(
                &app,
                &Notice {
                    kind: NoticeKind::LaunchFailed,
                    title: "Could not open VS Code".into(),
                    body: e.message,
                    session: None,
                },
            );
        }
    });
}

/// Tray "Launch again ▸ <session>": the recorded launch sent again, as the launcher's button
/// does; a failure (the name still taken, say) is shown as a notice.
pub fn launch_again<R: Runtime>(app: &AppHandle<R>, profile_id: String, session: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let service = app.state::<AppState>().service.clone();
        if let Err(e) = service.launch_again(&profile_id, &session).await {
            tracing::warn!(code = e.code(), "launch again from the tray failed: {e}");
            let e = crate::error::CommandError::from(e);
            crate::live::notify::show(
                &app,
                &Notice {
                    kind: NoticeKind::LaunchFailed,
                    title: "Launch again failed".into(),
                    body: e.message,
                    session: None,
                },
            );
        }
    });
}

/// Tray "Terminate" of a running session.
pub fn terminate_session<R: Runtime>(app: &AppHandle<R>, profile_id: String, session_id: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let service = app.state::<AppState>().service.clone();
        if let Err(e) = service.terminate(&profile_id, &session_id).await {
            tracing::warn!(code = e.code(), "terminate from the tray failed: {e}");
        }
    });
}

/// Tray "Default profile ▸ <name>".
pub fn set_default_profile<R: Runtime>(app: &AppHandle<R>, profile_id: &str) {
    let state = app.state::<AppState>();
    match state.profiles.set_default(profile_id) {
        Ok(p) => tracing::info!(profile = %p.name, "default profile set from the tray"),
        Err(e) => tracing::warn!("could not set the default profile: {e}"),
    }
    let service = state.service.clone();
    tauri::async_runtime::spawn(async move { service.sync().await });
    // The launcher shows the default badge: let it reload the list.
    use tauri::Emitter;
    if let Err(e) = app.emit_to(LAUNCHER_WINDOW, "profiles-changed", ()) {
        tracing::warn!("could not send profiles-changed: {e}");
    }
}

/// Show, restore and focus the launcher window (tray item, second app start), building it from
/// its entry in tauri.conf.json when it is closed.
pub fn show_launcher<R: Runtime>(app: &AppHandle<R>) {
    let window = match app.get_webview_window(LAUNCHER_WINDOW) {
        Some(w) => w,
        None => {
            // For the desktop benchmark's reopen time (this line to the UI's "ui ready").
            let epoch_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            tracing::info!(epoch_ms, "launcher window opening");
            let config = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == LAUNCHER_WINDOW)
                .cloned();
            let built = config
                .ok_or_else(|| "tauri.conf.json declares no launcher window".to_owned())
                .and_then(|c| {
                    tauri::WebviewWindowBuilder::from_config(app, &c)
                        .and_then(|b| b.build())
                        .map_err(|e| e.to_string())
                });
            match built {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!("could not open the launcher window: {e}");
                    return;
                }
            }
        }
    };
    for result in [window.unminimize(), window.show(), window.set_focus()] {
        if let Err(e) = result {
            tracing::warn!("could not show the launcher window: {e}");
        }
    }
}

/// The launcher window is closing (the app stays in the tray until Quit). The first time, a
/// notice says so; returns whether it was given.
pub fn launcher_closed<R: Runtime>(app: &AppHandle<R>) -> bool {
    tracing::info!("launcher window closed; the app stays in the tray");
    let state = app.state::<AppState>();
    let Ok(loaded) = state.settings.load() else {
        return false;
    };
    if loaded.settings.tray_notice_shown {
        return false;
    }
    crate::live::notify::show(
        app,
        &Notice {
            kind: NoticeKind::StillRunning,
            title: "Backend.AI Launcher is still running".into(),
            body: "It stays in the tray with your sessions. Choose Show launcher there to open it again, or Quit to leave.".into(),
            session: None,
        },
    );
    let seen = crate::settings::AppSettings {
        tray_notice_shown: true,
        ..loaded.settings
    };
    if let Err(e) = state.settings.save(&seen) {
        tracing::warn!("could not remember the tray notice: {e}");
    }
    true
}

/// Quit: `RunEvent::Exit` then ends tunnels (and sessions, per the settings).
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("quit from the tray");
    app.exit(0);
}
