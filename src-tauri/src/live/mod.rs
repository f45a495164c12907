//! The desktop app's side of the session service ([`bai_core::live`]). The service owns the
//! watched profiles, launches and tunnels and publishes what happens; each part of the app
//! follows those events and shows them its own way. Nothing here is called by the service,
//! and these modules do not call each other: the dependencies point one way, from here (and
//! from `crate::tray`) to the service.
//!
//! - [`to_launcher`]: lists and launch progress to the launcher window
//! - [`notify`]: desktop notifications
//! - [`notebooks`]: notebook windows (open on a ready tunnel, status page, close, focus)
//! - [`close`]: what closing a notebook window does to its session, per the settings
//! - [`ssh_hosts`]: SSH entries of sessions that ended leave the managed SSH config

pub mod close;
pub mod notebooks;
pub mod notify;
pub mod ssh_hosts;
pub mod to_launcher;

use bai_core::live::LiveEvent;
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

/// Start following the service (once, at start-up, before anything is watched): the launcher
/// window, notifications and notebook windows each get their own subscription. The tray
/// subscribes itself (`crate::tray::follow`).
pub fn follow<R: Runtime>(app: &AppHandle<R>) {
    app.state::<AppState>()
        .service
        .set_runtime(tauri::async_runtime::handle().inner().clone());
    on_events(app, "launcher window", to_launcher::on_event);
    on_events(app, "notifications", notify::on_event);
    on_events(app, "notebook windows", notebooks::on_event);
    on_events(app, "ssh entries", ssh_hosts::on_event);
}

/// Call `handle` with each of the service's events, in order, on a task of its own. A
/// subscriber that falls far behind is told with [`LiveEvent::WatchedChanged`] (show what is
/// current) after a warning.
pub fn on_events<R: Runtime>(
    app: &AppHandle<R>,
    who: &'static str,
    handle: fn(&AppHandle<R>, LiveEvent),
) {
    // Subscribed now, not in the task: nothing published from here on is missed.
    let mut rx = app.state::<AppState>().service.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(event) => handle(&app, event),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(who, missed = n, "fell behind the session events");
                    handle(&app, LiveEvent::WatchedChanged);
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
