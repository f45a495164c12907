//! Desktop notifications: a session is ready, failed, or ended remotely. Each one is also
//! logged, because a desktop without a notification daemon (a bare X server, a CI runner) drops
//! them silently, and the last few are kept (bounded) for tests.

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::{Notification, NotificationExt};

use crate::state::AppState;

/// Why a notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotificationKind {
    SessionReady,
    LaunchFailed,
    SessionEnded,
}

/// One notification as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentNotification {
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
}

/// Show a notification (when the plugin is there) and keep it among the last few. Bodies hold session and
/// profile names and error messages, never a secret.
pub fn send<R: Runtime>(app: &AppHandle<R>, kind: NotificationKind, title: &str, body: &str) {
    tracing::info!(kind = ?kind, title, body, "notification sent");
    if let Some(state) = app.try_state::<AppState>() {
        state.live.record_notification(SentNotification {
            kind,
            title: title.to_owned(),
            body: body.to_owned(),
        });
    }
    if app.try_state::<Notification<R>>().is_some()
        && let Err(e) = app.notification().builder().title(title).body(body).show()
    {
        tracing::warn!("the desktop did not take the notification: {e}");
    }
}
