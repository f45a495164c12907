//! `backendai-launcher:` links opened on the desktop (a browser, `xdg-open`, a chat message).
//!
//! The deep-link plugin hands each link over: at the first start from its arguments, and for a
//! second start through the single-instance plugin, which forwards it to the running app. Each
//! goes to [`handle`], which reads it by `bai_core::deep_link`'s rule (the one place that says
//! what a link may ask) and then:
//!
//! - `open?profile=…&session=…`: shows the launcher and tells it to show that profile with that
//!   session selected (highlighted and scrolled to; its Open button is the user's to press: a
//!   link only points at a session, it never opens a notebook by itself);
//! - `launch?profile=…&preset=…`: shows the launcher asking whether to start a notebook with
//!   that preset (a session holds quota, so a link, which any page or program can open, never
//!   starts one by itself); its Start button calls `launch_preset`, and the launcher follows
//!   the launch in its progress view;
//! - anything else is refused: the launcher shows why in its error banner and a desktop
//!   notification says so too. The log gets the link without its values
//!   ([`bai_core::deep_link::redacted`]).
//!
//! The launcher window is told through the `deep-link` event. A window that is still loading
//! (or being built for the link) would miss it, so until the UI has said it is ready
//! (`ui_ready`) what it is to show waits here, and `ui_ready` delivers it.

use std::sync::Mutex;

use bai_core::deep_link::{self, LinkAction, ResolvedLink};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::LAUNCHER_WINDOW;
use crate::error::CommandError;
use crate::state::AppState;

/// The event the launcher window follows (payload: [`ToLauncher`]).
pub const EVENT: &str = "deep-link";

/// At most this many messages wait for a launcher that is not ready; older ones are dropped.
const MAX_WAITING: usize = 8;

/// What the launcher is to show for a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ToLauncher {
    /// Show this profile with this session selected.
    #[serde(rename_all = "camelCase")]
    Open {
        profile_id: String,
        profile_name: String,
        session: String,
    },
    /// A `launch` link: ask whether to start a notebook with this preset.
    #[serde(rename_all = "camelCase")]
    ConfirmLaunch {
        profile_id: String,
        profile_name: String,
        preset: String,
    },
    /// The link was refused, or what it asked for failed: show why.
    Refused { error: CommandError },
}

/// Messages waiting for the launcher UI, and whether it listens now.
#[derive(Debug, Default)]
pub struct Inbox {
    inner: Mutex<InboxState>,
}

#[derive(Debug, Default)]
struct InboxState {
    ready: bool,
    waiting: Vec<ToLauncher>,
}

/// Install the handlers: links of a second start (forwarded by the single-instance plugin) and
/// the link this process was started with. On Linux a debug build also registers itself as the
/// handler of the scheme for this user (the installed package's desktop entry does that for a
/// release build).
pub fn install<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    inbox(app);
    #[cfg(all(target_os = "linux", debug_assertions))]
    match app.deep_link().register_all() {
        Ok(()) => tracing::info!(
            scheme = deep_link::SCHEME,
            "debug build: registered as this user's handler of the link scheme"
        ),
        Err(e) => tracing::warn!("could not register the link scheme: {e}"),
    }
    let app_handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            handle(&app_handle, url.as_str());
        }
    });
    match app.deep_link().get_current() {
        Ok(Some(urls)) => {
            for url in urls {
                handle(app, url.as_str());
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!("could not read the link the app was started with: {e}"),
    }
}

/// Act on one link (see the module's documentation).
pub fn handle<R: Runtime>(app: &AppHandle<R>, link: &str) {
    let shown = deep_link::redacted(link);
    let resolved = {
        let state = app.state::<AppState>();
        state
            .profiles
            .load()
            .and_then(|profiles| deep_link::resolve(link, &profiles))
    };
    match resolved {
        Ok(ResolvedLink { profile, action }) => {
            tracing::info!(link = %shown, "deep link accepted");
            crate::tray::show_launcher(app);
            match action {
                LinkAction::Open { session } => deliver(
                    app,
                    ToLauncher::Open {
                        profile_id: profile.id,
                        profile_name: profile.name,
                        session,
                    },
                ),
                LinkAction::Launch { preset } => deliver(
                    app,
                    ToLauncher::ConfirmLaunch {
                        profile_id: profile.id,
                        profile_name: profile.name,
                        preset,
                    },
                ),
            }
        }
        Err(e) => {
            tracing::warn!(link = %shown, code = e.code(), "deep link refused");
            refuse(app, CommandError::from(e));
        }
    }
}

/// The launcher UI listens now: hand it what waits. `ui_ready` calls this.
pub fn ui_ready<R: Runtime>(app: &AppHandle<R>) {
    let inbox = inbox(app);
    let waiting = {
        let mut s = inbox.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.ready = true;
        std::mem::take(&mut s.waiting)
    };
    for m in waiting {
        emit(app, &m);
    }
}

/// The launcher window is gone: what comes next waits for the next one.
pub fn launcher_gone<R: Runtime>(app: &AppHandle<R>) {
    if let Some(inbox) = app.try_state::<Inbox>() {
        inbox.inner.lock().unwrap_or_else(|p| p.into_inner()).ready = false;
    }
}

/// What waits for the launcher UI (for tests).
pub fn waiting<R: Runtime>(app: &AppHandle<R>) -> Vec<ToLauncher> {
    inbox(app)
        .inner
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .waiting
        .clone()
}

fn refuse<R: Runtime>(app: &AppHandle<R>, error: CommandError) {
    crate::tray::show_launcher(app);
    notify(app, &error.message);
    deliver(app, ToLauncher::Refused { error });
}

/// A desktop notification (when the plugin is there: not on the mock runtime). Logged without
/// its text, which may hold what the link gave.
fn notify<R: Runtime>(app: &AppHandle<R>, body: &str) {
    use tauri_plugin_notification::{Notification, NotificationExt};
    if app.try_state::<Notification<R>>().is_none() {
        return;
    }
    let shown = app
        .notification()
        .builder()
        .title("Backend.AI Launcher: link refused")
        .body(body)
        .show();
    if let Err(e) = shown {
        tracing::warn!("the desktop did not take the link notification: {e}");
    }
}

fn deliver<R: Runtime>(app: &AppHandle<R>, message: ToLauncher) {
    let inbox = inbox(app);
    let now = {
        let mut s = inbox.inner.lock().unwrap_or_else(|p| p.into_inner());
        let listening = s.ready && app.get_webview_window(LAUNCHER_WINDOW).is_some();
        if !listening {
            if s.waiting.len() >= MAX_WAITING {
                s.waiting.remove(0);
            }
            s.waiting.push(message.clone());
        }
        listening
    };
    if now {
        emit(app, &message);
    }
}

fn emit<R: Runtime>(app: &AppHandle<R>, message: &ToLauncher) {
    if let Err(e) = app.emit_to(LAUNCHER_WINDOW, EVENT, message) {
        tracing::warn!("could not send {EVENT}: {e}");
    }
}

fn inbox<R: Runtime>(app: &AppHandle<R>) -> tauri::State<'_, Inbox> {
    if app.try_state::<Inbox>().is_none() {
        app.manage(Inbox::default());
    }
    app.state::<Inbox>()
}
