//! What closing a notebook window does: only the last window of a session decides, and the
//! settings say whether its session keeps running, is terminated, or the user is asked.

use bai_core::live::OpenTunnel;
use tauri::{AppHandle, Manager, Runtime, Window};
use tauri_plugin_dialog::{Dialog, DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::settings::NotebookClose;
use crate::state::AppState;

/// The user closes a notebook window: keep the session, terminate it, or ask, per settings.
/// Only the last window of a session decides; other windows just close.
pub fn close_requested<R: Runtime>(window: &Window<R>, api: &tauri::CloseRequestApi) {
    let app = window.app_handle().clone();
    let state = app.state::<AppState>();
    let label = window.label().to_owned();
    let Some(open) = state
        .service
        .tunnel_of_window(&label)
        .filter(|t| t.windows.len() == 1)
    else {
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
        let service = app.state::<AppState>().service.clone();
        if let Err(e) = service.terminate(&profile_id, &session_id).await {
            tracing::warn!("could not terminate the session on close: {e}");
        }
    });
}
