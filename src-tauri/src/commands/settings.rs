//! `get_settings` / `save_settings`: the app's settings plus the default profile and its
//! quick-start preset (which live in profiles.toml, where the CLI sees them too).

use bai_core::profile::LaunchPreset;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::CommandError;
use crate::settings::{AppSettings, NotebookClose};
use crate::state::AppState;

/// The settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub default_profile_id: Option<String>,
    /// The default profile's quick-start preset; `None` without a default profile.
    pub quick_start: Option<LaunchPreset>,
    pub notebook_close: NotebookClose,
    pub start_at_login: bool,
    /// Set when settings.toml was damaged and set aside.
    pub warning: Option<String>,
}

/// What the settings page saves.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    pub default_profile_id: Option<String>,
    /// Applied to the (new) default profile.
    #[serde(default)]
    pub quick_start: Option<LaunchPreset>,
    pub notebook_close: NotebookClose,
    pub start_at_login: bool,
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, CommandError> {
    view(&state)
}

pub fn view(state: &AppState) -> Result<SettingsView, CommandError> {
    let loaded = state.settings.load()?;
    let profiles = state.profiles.load()?;
    let default = profiles.default_profile();
    Ok(SettingsView {
        default_profile_id: default.map(|p| p.id.clone()),
        quick_start: default.map(|p| p.quick_start.clone()),
        notebook_close: loaded.settings.notebook_close,
        start_at_login: loaded.settings.start_at_login,
        warning: loaded.warning,
    })
}

#[tauri::command]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: SettingsInput,
) -> Result<SettingsView, CommandError> {
    let before = state.settings.load()?.settings;
    if before.start_at_login != input.start_at_login {
        apply_autostart(&app, input.start_at_login)?;
    }
    save(&state, input)
}

pub fn save(state: &AppState, input: SettingsInput) -> Result<SettingsView, CommandError> {
    if let Some(id) = input
        .default_profile_id
        .as_deref()
        .filter(|i| !i.is_empty())
    {
        let p = state.profiles.set_default(id)?;
        if let Some(preset) = input.quick_start {
            let mut p = p;
            p.quick_start = clean_preset(preset);
            state.profiles.replace(p)?;
        }
    }
    // What the page does not show (the tray notice seen) is kept as it was.
    let before = state.settings.load()?.settings;
    state.settings.save(&AppSettings {
        notebook_close: input.notebook_close,
        start_at_login: input.start_at_login,
        ..before
    })?;
    view(state)
}

/// Empty free-text fields mean "not set".
fn clean_preset(p: LaunchPreset) -> LaunchPreset {
    let keep = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    LaunchPreset {
        image: keep(p.image),
        preset: keep(p.preset),
        resources: p
            .resources
            .into_iter()
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .collect(),
        app: keep(p.app),
    }
}

/// Turn start-at-login on or off through the autostart plugin (absent in tests on the mock
/// runtime, where there is nothing to register with).
fn apply_autostart<R: Runtime>(app: &AppHandle<R>, enable: bool) -> Result<(), CommandError> {
    let Some(manager) = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>() else {
        return Ok(());
    };
    let result = if enable {
        manager.enable()
    } else {
        manager.disable()
    };
    result.map_err(|e| {
        CommandError::new(
            "autostart-failed",
            format!(
                "could not {} start at login: {e}",
                if enable { "turn on" } else { "turn off" }
            ),
        )
    })
}
