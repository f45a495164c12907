//! One task per watched profile: it lists the profile's sessions, pushes `sessions-changed` to
//! the launcher when the list changes, notices sessions that ended without the app asking
//! (notification, status page in their windows), and keeps the tray menu current.
//!
//! Watched: the profile the launcher shows, the default profile (the tray lists its
//! sessions), and every profile with an open notebook or a launch in flight. The task wakes
//! every [`refresh_interval`] and at once after the app's own actions.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bai_core::account;
use bai_core::client::{Client, ListSessions};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use super::notify::{self, NotificationKind};
use super::views::{SessionView, SessionsSnapshot};
use super::{WatcherHandle, notebooks};
use crate::LAUNCHER_WINDOW;
use crate::error::CommandError;
use crate::state::AppState;

/// The event the launcher listens to.
pub const SESSIONS_CHANGED: &str = "sessions-changed";
/// Overrides the refresh interval (milliseconds), for tests.
pub const REFRESH_ENV: &str = "BAI_SESSIONS_REFRESH_MS";

pub fn refresh_interval() -> Duration {
    std::env::var(REFRESH_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(3))
}

/// Show `profile_id`'s sessions in the launcher (None: no profile shown). Returns the last
/// known list at once; fresher ones follow as events.
pub fn watch<R: Runtime>(
    app: &AppHandle<R>,
    profile_id: Option<String>,
) -> Option<SessionsSnapshot> {
    let state = app.state::<AppState>();
    *state.live.visible() = profile_id.clone();
    sync(app);
    let id = profile_id?;
    wake(app, &id);
    state.live.snapshots().get(&id).cloned()
}

/// Start the watchers that are wanted and stop the others.
pub fn sync<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let mut wanted: HashSet<String> = HashSet::new();
    if let Some(v) = state.live.visible().clone() {
        wanted.insert(v);
    }
    if let Ok(loaded) = state.profiles.load() {
        if let Some(d) = loaded.default_profile() {
            wanted.insert(d.id.clone());
        }
        // A removed profile is not watched, whatever else refers to it.
        let known: HashSet<String> = loaded.list().iter().map(|p| p.id.clone()).collect();
        wanted.extend(state.live.tunnels().values().map(|t| t.profile_id.clone()));
        wanted.extend(
            state
                .live
                .launches()
                .values()
                .map(|l| l.last.profile_id.clone()),
        );
        wanted.retain(|id| known.contains(id));
    }
    let mut watchers = state.live.watchers();
    watchers.retain(|id, _| wanted.contains(id));
    for id in wanted {
        if watchers.contains_key(&id) {
            continue;
        }
        let wake = Arc::new(tokio::sync::Notify::new());
        let task = tauri::async_runtime::spawn(run(app.clone(), id.clone(), wake.clone()));
        watchers.insert(id, WatcherHandle { task, wake });
    }
    drop(watchers);
    // Forget lists of profiles no longer watched, so the tray shows only what is current.
    let watched: HashSet<String> = state.live.watchers().keys().cloned().collect();
    state.live.snapshots().retain(|id, _| watched.contains(id));
    crate::tray::refresh(app);
}

/// Refresh `profile_id` now (after the app changed something there).
pub fn wake<R: Runtime>(app: &AppHandle<R>, profile_id: &str) {
    if let Some(state) = app.try_state::<AppState>()
        && let Some(w) = state.live.watchers().get(profile_id)
    {
        w.wake.notify_one();
    }
}

async fn run<R: Runtime>(app: AppHandle<R>, profile_id: String, wake: Arc<tokio::sync::Notify>) {
    let interval = refresh_interval();
    let mut client: Option<Client> = None;
    loop {
        let state = app.state::<AppState>();
        let profile = match state.profiles.load().map(|l| l.get(&profile_id).cloned()) {
            Ok(Ok(p)) => p,
            // The profile is gone: nothing to watch any more.
            Ok(Err(_)) => return,
            Err(e) => {
                tracing::warn!("cannot read the profiles: {e}");
                tokio::time::sleep(interval).await;
                continue;
            }
        };
        let listed = async {
            let c = match client.take() {
                Some(c) => c,
                None => account::connect(&profile, state.secrets.as_ref()).await?,
            };
            let page = c.list_sessions(&ListSessions::default()).await?;
            client = Some(c);
            Ok::<_, bai_core::Error>(page.items)
        }
        .await;
        let previous = state.live.snapshots().get(&profile_id).cloned();
        let snapshot = match listed {
            Ok(items) => SessionsSnapshot {
                profile_id: profile_id.clone(),
                profile_name: profile.name.clone(),
                sessions: items
                    .iter()
                    .map(|s| SessionView::new(s, state.live.is_open(&s.id)))
                    .collect(),
                error: None,
            },
            Err(e) => SessionsSnapshot {
                profile_id: profile_id.clone(),
                profile_name: profile.name.clone(),
                sessions: previous
                    .as_ref()
                    .map(|p| p.sessions.clone())
                    .unwrap_or_default(),
                error: Some(CommandError::from(e)),
            },
        };
        apply(&app, previous, snapshot);
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = wake.notified() => {}
        }
    }
}

/// Take in a fresh list: notice ended sessions, then tell the launcher and the tray.
fn apply<R: Runtime>(
    app: &AppHandle<R>,
    previous: Option<SessionsSnapshot>,
    now: SessionsSnapshot,
) {
    let state = app.state::<AppState>();
    if now.error.is_none()
        && let Some(prev) = &previous
    {
        for gone in prev
            .sessions
            .iter()
            .filter(|s| !now.sessions.iter().any(|n| n.id == s.id))
        {
            session_ended(app, &now.profile_name, gone);
        }
    }
    if previous.as_ref() == Some(&now) {
        return;
    }
    if let Some(e) = &now.error
        && previous.as_ref().and_then(|p| p.error.as_ref()) != Some(e)
    {
        tracing::warn!(profile = %now.profile_name, code = %e.code, "cannot list sessions: {}", e.message);
    }
    state
        .live
        .snapshots()
        .insert(now.profile_id.clone(), now.clone());
    if let Err(e) = app.emit_to(LAUNCHER_WINDOW, SESSIONS_CHANGED, &now) {
        tracing::warn!("could not send {SESSIONS_CHANGED}: {e}");
    }
    crate::tray::refresh(app);
}

fn session_ended<R: Runtime>(app: &AppHandle<R>, profile_name: &str, gone: &SessionView) {
    let state = app.state::<AppState>();
    let expected = state.live.ending().remove(&gone.id);
    let open: Vec<_> = {
        let mut tunnels = state.live.tunnels();
        let keys: Vec<String> = tunnels
            .iter()
            .filter(|(_, t)| t.session_id == gone.id)
            .map(|(k, _)| k.clone())
            .collect();
        keys.iter().filter_map(|k| tunnels.remove(k)).collect()
    };
    for t in &open {
        t.tunnel.close();
        notebooks::show_status(app, t, "ended");
    }
    if expected {
        return;
    }
    tracing::info!(session = %gone.name, profile = profile_name, "session ended remotely");
    notify::send(
        app,
        NotificationKind::SessionEnded,
        &format!("Session {} ended", gone.name),
        &format!(
            "The session \"{}\" on {profile_name} was ended on the server.",
            gone.name
        ),
    );
}
