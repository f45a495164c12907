//! Ending sessions from the app (launcher button, tray, closing a notebook window per the
//! settings), and what closing a notebook window does.

use bai_core::account;
use tauri::{AppHandle, Manager, Runtime, Window};
use tauri_plugin_dialog::{Dialog, DialogExt, MessageDialogButtons, MessageDialogKind};

use super::{OpenTunnel, notebooks, watcher};
use crate::error::CommandError;
use crate::settings::NotebookClose;
use crate::state::AppState;

/// Terminate `session_id` of `profile_id`: close its windows and tunnel, then ask the server.
/// The end is expected, so no "ended remotely" notification follows.
pub async fn terminate<R: Runtime>(
    app: &AppHandle<R>,
    profile_id: &str,
    session_id: &str,
) -> Result<(), CommandError> {
    let state = app.state::<AppState>();
    let profile = state.profiles.load()?.get(profile_id)?.clone();
    // An admin's account can see (and end) other users' sessions: the app ends only the
    // caller's own.
    let client = account::connect(&profile, state.secrets.as_ref()).await?;
    if !client.is_own_session(session_id).await? {
        return Err(CommandError::new(
            "not-own-session",
            "This session belongs to another user; the launcher only ends your own sessions.",
        ));
    }
    state.live.ending().insert(session_id.to_owned());
    for open in take_tunnels(&state, session_id) {
        notebooks::destroy_windows(app, &open);
        open.tunnel.close();
    }
    let result = async {
        client.destroy_session(session_id, false).await?;
        Ok::<_, bai_core::Error>(())
    }
    .await;
    if let Err(e) = result {
        state.live.ending().remove(session_id);
        watcher::wake(app, profile_id);
        return Err(e.into());
    }
    tracing::info!(profile = %profile.name, session_id, "session terminated from the app");
    watcher::wake(app, profile_id);
    Ok(())
}

fn take_tunnels(state: &AppState, session_id: &str) -> Vec<OpenTunnel> {
    let mut tunnels = state.live.tunnels();
    let keys: Vec<String> = tunnels
        .iter()
        .filter(|(_, t)| t.session_id == session_id)
        .map(|(k, _)| k.clone())
        .collect();
    keys.iter().filter_map(|k| tunnels.remove(k)).collect()
}

/// The user closes a notebook window: keep the session, terminate it, or ask, per settings.
/// Only the last window of a session decides; other windows just close.
pub fn close_requested<R: Runtime>(window: &Window<R>, api: &tauri::CloseRequestApi) {
    let app = window.app_handle().clone();
    let state = app.state::<AppState>();
    let label = window.label().to_owned();
    let last_of = {
        let tunnels = state.live.tunnels();
        tunnels
            .values()
            .find(|t| t.windows.contains(&label) && t.windows.len() == 1)
            .cloned()
    };
    let Some(open) = last_of else {
        return;
    };
    let choice = match state.settings.load() {
        Ok(s) => s.settings.notebook_close,
        Err(e) => {
            tracing::warn!("settings unreadable ({e}); keeping the session running");
            NotebookClose::KeepRunning
        }
    };
    match choice {
        NotebookClose::KeepRunning => {}
        NotebookClose::Terminate => spawn_terminate(&app, &open),
        NotebookClose::Ask if app.try_state::<Dialog<R>>().is_none() => {
            tracing::warn!("no dialog plugin to ask with; keeping the session running");
        }
        NotebookClose::Ask => {
            api.prevent_close();
            let window = window.clone();
            app.dialog()
                .message(format!(
                    "Terminate the session \"{}\" on {}? Its unsaved work is lost.\n\nKeep it running to reopen it later from the launcher or the tray.",
                    open.session_name, open.profile_name
                ))
                .title("Close notebook")
                .kind(MessageDialogKind::Warning)
                .buttons(MessageDialogButtons::OkCancelCustom(
                    "Terminate".into(),
                    "Keep running".into(),
                ))
                .show(move |terminate| {
                    let app = window.app_handle().clone();
                    if terminate {
                        spawn_terminate(&app, &open);
                    }
                    if let Err(e) = window.destroy() {
                        tracing::warn!("could not close the notebook window: {e}");
                    }
                });
        }
    }
}

fn spawn_terminate<R: Runtime>(app: &AppHandle<R>, open: &OpenTunnel) {
    let (app, profile_id, session_id) = (
        app.clone(),
        open.profile_id.clone(),
        open.session_id.clone(),
    );
    tauri::async_runtime::spawn(async move {
        if let Err(e) = terminate(&app, &profile_id, &session_id).await {
            tracing::warn!("could not terminate the session on close: {e}");
        }
    });
}
