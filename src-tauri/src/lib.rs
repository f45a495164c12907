//! The desktop shell of the Backend.AI Launcher: it wires `bai-core` to Tauri commands and
//! windows, and holds the app's state. Logic belongs in the GUI-free crates; this crate stays
//! thin so that it needs no WebKit to reason about and little to test beyond the wiring.
//!
//! - [`commands`]: the IPC commands the launcher UI calls (each listed in `commands::COMMANDS`)
//! - [`error`]: [`CommandError`], the `{code, message}` every command fails with
//! - [`state`]: [`AppState`], the one place the shell keeps state
//! - [`settings`]: the app's settings file; [`demo`]: the demo server child process
//! - [`live`]: how the app follows the session service (`bai_core::live`): the launcher
//!   window, notifications and notebook windows; [`tray`] follows it too
//! - [`navigation`]: where a notebook window may go (a pure, tested policy)
//! - [`tray`], [`logging`]: the tray icon and the log file
//! - [`deep_link`]: `backendai-launcher:` links opened on the desktop

pub mod commands;
pub mod deep_link;
pub mod demo;
pub mod demo_jupyter;
pub mod error;
pub mod live;
pub mod logging;
pub mod navigation;
pub mod settings;
pub mod state;
pub mod tray;

use std::sync::OnceLock;
use std::time::Instant;

use tauri::{Manager, RunEvent, Runtime, WindowEvent};

use crate::live::notebooks;
use crate::settings::NotebookClose;

pub use commands::COMMANDS;
pub use commands::app_info::{ApiVersionRange, AppInfo, BuildProfile};
pub use error::CommandError;
pub use state::AppState;

/// Start with the launcher window hidden, in the tray (what "start at login" runs).
pub const MINIMIZED_ARG: &str = "--minimized";

/// Label of the main window. The capability in `capabilities/launcher.json` grants the app
/// commands to this label only, so keep the two in step.
pub const LAUNCHER_WINDOW: &str = "launcher";

/// Registers the app's state, commands and window behaviour on `builder`. `run` passes a Wry
/// builder with the plugins; tests pass `tauri::test::mock_builder()`, so they drive exactly the
/// wiring the real app uses.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    configure_with(builder, state, |_| Ok(()))
}

/// [`configure`], with what the real app also does at start-up (`extra`: logging, the tray)
/// before the session service starts watching.
pub fn configure_with<R: Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
    extra: impl FnOnce(&tauri::AppHandle<R>) -> Result<(), Box<dyn std::error::Error>> + Send + 'static,
) -> tauri::Builder<R> {
    builder
        .manage(state)
        .setup(move |app| {
            extra(app.handle())?;
            start(app.handle());
            Ok(())
        })
        .invoke_handler(commands::handler())
        .on_window_event(|window, event| match event {
            // Closing the launcher destroys it (its WebKit processes end with it); the app
            // lives on in the tray until Quit, and the tray's "Show launcher" builds it anew.
            WindowEvent::CloseRequested { .. } if window.label() == LAUNCHER_WINDOW => {
                tray::launcher_closed(window.app_handle());
            }
            WindowEvent::CloseRequested { api, .. } if notebooks::is_notebook(window.label()) => {
                live::close::close_requested(window, api);
            }
            // A launcher built anew listens only once its UI says it is ready.
            WindowEvent::Destroyed if window.label() == LAUNCHER_WINDOW => {
                deep_link::launcher_gone(window.app_handle());
            }
            WindowEvent::Destroyed if notebooks::is_notebook(window.label()) => {
                notebooks::window_destroyed(window.app_handle(), window.label());
            }
            _ => {}
        })
}

/// Start the session service's followers, then the watchers. The app's setup calls this; tests
/// on the mock runtime (whose event loop, which runs the setup, does not run) call it after
/// building the app.
pub fn start<R: Runtime>(app: &tauri::AppHandle<R>) {
    // Every follower subscribes before anything is watched, so none misses an event.
    live::follow(app);
    tray::follow(app);
    // The default profile is watched from the start: the tray lists its sessions.
    let state = app.state::<AppState>();
    match state.settings.load() {
        Ok(l) => state.service.set_idle_settings(l.settings.idle()),
        Err(e) => tracing::warn!("cannot read the settings, idle warnings as by default: {e}"),
    }
    let service = state.service.clone();
    tauri::async_runtime::spawn(async move { service.sync().await });
}

/// When the process started (as near as the app can tell: the first call, made in `run`).
pub fn started_at() -> Instant {
    static STARTED: OnceLock<Instant> = OnceLock::new();
    *STARTED.get_or_init(Instant::now)
}

/// The app is exiting: terminate the sessions that have notebooks open if the user chose
/// "terminate" on close (never for "keep running" or "ask": nobody is there to ask), then
/// close every tunnel and stop the demo server.
pub fn on_exit<R: Runtime>(app: &tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    let terminate = matches!(
        state.settings.load().map(|l| l.settings.notebook_close),
        Ok(NotebookClose::Terminate)
    );
    if terminate {
        let open: Vec<(String, String)> = state
            .service
            .tunnels()
            .iter()
            .map(|t| (t.profile_id.clone(), t.session_id.clone()))
            .collect();
        let service = state.service.clone();
        tauri::async_runtime::block_on(async move {
            for (profile, session) in open {
                let ended = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    service.terminate(&profile, &session),
                )
                .await;
                if !matches!(ended, Ok(Ok(()))) {
                    tracing::warn!(session, "could not terminate the session on exit");
                }
            }
        });
    }
    state.shut_down();
}

/// Runs the desktop app until the user quits.
pub fn run() {
    started_at();
    let state = match AppState::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Backend.AI Launcher could not start: {e}");
            std::process::exit(1);
        }
    };
    // A second start focuses the running app instead; this plugin must come first.
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_launcher(app);
        }))
        // `backendai-launcher:` links: the single-instance plugin (its `deep-link` feature)
        // hands a second start's link to this one; `deep_link::install` takes them from here.
        .plugin(tauri_plugin_deep_link::init())
        .plugin(
            // Only the launcher remembers its place; notebook windows open fresh each time.
            tauri_plugin_window_state::Builder::new()
                .with_filter(|label| label == LAUNCHER_WINDOW)
                .build(),
        )
        .plugin(
            // No injected click handler: it would send `target=_blank` links through IPC, which
            // notebook windows (rightly) may not use, so JupyterLab's links did nothing. WebKit
            // asks the window's new-window handler instead, only on a click (see
            // `live::notebooks`); the launcher's own page has no such links.
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            // Started at login, the app waits in the tray rather than opening its window.
            Some(vec![MINIMIZED_ARG]),
        ));
    let app = configure_with(builder, state, |app| {
        match app.path().app_log_dir() {
            Ok(dir) => match logging::init(&dir) {
                Ok(guard) => {
                    app.manage(LogGuard(guard));
                }
                Err(e) => eprintln!("Backend.AI Launcher: logging is off: {e}"),
            },
            Err(e) => eprintln!("Backend.AI Launcher: no log folder ({e}); logging is off"),
        }
        tracing::info!(version = env!("CARGO_PKG_VERSION"), "launcher started");
        tray::install(app)?;
        // The launcher window is made here, not from the config: started at login
        // (`--minimized`), the app waits in the tray with no window and no WebKit process.
        if std::env::args().any(|a| a == MINIMIZED_ARG) {
            tracing::info!("started minimized: the launcher waits in the tray");
        } else {
            tray::show_launcher(app);
        }
        deep_link::install(app);
        quit_on_signals(app.clone());
        Ok(())
    })
    .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Backend.AI Launcher could not start: {e}");
            std::process::exit(1);
        }
    };
    make_app_folders_private(app.handle());
    app.run(|app, event| match event {
        // The last window closed (the launcher, or a notebook with the launcher closed): the
        // app stays in the tray. Quit (`app.exit`) asks with a code and is let through.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            tracing::info!("launcher exiting");
            on_exit(app);
        }
        _ => {}
    });
}

/// The app's own folders are 0700 before any window opens: the launcher's webview keeps its
/// storage in the local data folder (Tauri would create it with the default mode), the window
/// state plugin writes to the config folder. The rule is `bai_core::private_fs`'s: a folder of
/// ours that others can read is tightened, one that others can write is refused.
fn make_app_folders_private<R: Runtime>(app: &tauri::AppHandle<R>) {
    let path = app.path();
    for dir in [
        path.app_local_data_dir(),
        path.app_data_dir(),
        path.app_config_dir(),
    ]
    .into_iter()
    .flatten()
    {
        // Logging starts later (in setup): say it on stderr. A folder that cannot be made
        // private is refused again, with the fix, where it is used.
        if let Err(e) = bai_core::private_fs::private_dir(&dir) {
            eprintln!("Backend.AI Launcher: {e}");
        }
    }
}

/// SIGTERM/SIGINT (logout, `kill`, Ctrl-C in a terminal) quit like the tray's Quit, so that
/// the demo server is stopped too.
fn quit_on_signals<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                tracing::warn!(
                    "cannot listen for SIGTERM/SIGINT; they will not stop the demo server"
                );
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        tracing::info!("quit on a signal");
        app.exit(0);
    });
}

/// Keeps the log writer alive for the app's lifetime.
struct LogGuard(#[allow(dead_code)] tracing_appender::non_blocking::WorkerGuard);
