//! The launcher window follows sessions and launches through its events: `sessions-changed`
//! (a profile's list), `launch-started` (from anywhere, also the tray), `launch-progress`, and
//! `idle-notice` (idle and spend warnings, whose actions it offers).

use bai_core::live::{LiveEvent, NoticeKind};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

use crate::LAUNCHER_WINDOW;

pub const SESSIONS_CHANGED: &str = "sessions-changed";
pub const LAUNCH_STARTED: &str = "launch-started";
pub const LAUNCH_PROGRESS: &str = "launch-progress";
pub const IDLE_NOTICE: &str = "idle-notice";

pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: LiveEvent) {
    match event {
        LiveEvent::SessionsChanged(s) => emit(app, SESSIONS_CHANGED, &s),
        LiveEvent::LaunchStarted(v) => emit(app, LAUNCH_STARTED, &v),
        LiveEvent::LaunchProgress(v) => emit(app, LAUNCH_PROGRESS, &v),
        // Idle and spend warnings: the launcher offers their actions (keep alive, keep,
        // terminate) beside the session.
        LiveEvent::Notice(n)
            if matches!(n.kind, NoticeKind::IdleWarning | NoticeKind::IdleSpend) =>
        {
            emit(app, IDLE_NOTICE, &n)
        }
        _ => {}
    }
}

fn emit<R: Runtime>(app: &AppHandle<R>, event: &str, payload: &impl Serialize) {
    if let Err(e) = app.emit_to(LAUNCHER_WINDOW, event, payload) {
        tracing::warn!("could not send {event}: {e}");
    }
}
