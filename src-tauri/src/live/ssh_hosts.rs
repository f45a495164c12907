//! The SSH entries "Open in VS Code" (and `bai ssh-config`) wrote follow the sessions: when a
//! watched profile's list no longer holds a session, its `Host` entry leaves the managed file.

use bai_core::live::LiveEvent;
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: LiveEvent) {
    let LiveEvent::SessionsChanged(snap) = event else {
        return;
    };
    // A list that could not be read says nothing about which sessions ended.
    if snap.error.is_some() {
        return;
    }
    let Ok(home) = app.state::<AppState>().ssh.home() else {
        return;
    };
    let file = home.join(bai_core::ssh::MANAGED_FILE);
    let listed: Vec<&str> = snap.sessions.iter().map(|s| s.name.as_str()).collect();
    let body = match bai_core::ssh::read_managed(&file) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("cannot read the SSH entries: {e}");
            return;
        }
    };
    if let Some(kept) = bai_core::ssh::without_ended(&body, &snap.profile_name, &listed) {
        match bai_core::ssh::write_managed(&file, &kept) {
            Ok(()) => {
                tracing::info!(profile = %snap.profile_name, "SSH entries of ended sessions removed")
            }
            Err(e) => tracing::warn!("cannot update the SSH entries: {e}"),
        }
    }
}
