//! Desktop notifications of the service's notices (a session is ready, a launch failed, a
//! session ended on the server). Each is logged after it is handed to the desktop, with the
//! outcome: a desktop without a notification daemon (a bare X server, a CI runner) refuses it.

use bai_core::live::{LiveEvent, Notice};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::{Notification, NotificationExt};

pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: LiveEvent) {
    if let LiveEvent::Notice(n) = event {
        show(app, &n);
    }
}

/// Show `n` (when the plugin is there: not on the mock runtime). Bodies hold session and
/// profile names and error messages, never a secret.
pub fn show<R: Runtime>(app: &AppHandle<R>, n: &Notice) {
    if app.try_state::<Notification<R>>().is_none() {
        tracing::info!(kind = ?n.kind, title = %n.title, body = %n.body, shown = false, "notification sent (no notification plugin)");
        return;
    }
    match app
        .notification()
        .builder()
        .title(&n.title)
        .body(&n.body)
        .show()
    {
        Ok(()) => {
            tracing::info!(kind = ?n.kind, title = %n.title, body = %n.body, shown = true, "notification sent")
        }
        Err(e) => {
            tracing::warn!(kind = ?n.kind, title = %n.title, body = %n.body, shown = false, "notification sent, but the desktop did not take it: {e}")
        }
    }
}
