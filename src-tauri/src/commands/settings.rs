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
    /// Minutes before an idle checker ends a session to warn at (0: never).
    pub idle_warn_minutes: u32,
    /// Minutes an accelerated session may sit idle before a warning (None: never).
    pub spend_guard_minutes: Option<u32>,
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
    #[serde(default = "default_warn")]
    pub idle_warn_minutes: u32,
    #[serde(default)]
    pub spend_guard_minutes: Option<u32>,
}

fn default_warn() -> u32 {
    bai_core::idle::guard::DEFAULT_WARN_BEFORE_MINUTES
}

/// Longest warning lead and idle stretch the settings take (a day).
const MAX_IDLE_MINUTES: u32 = 24 * 60;

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
        idle_warn_minutes: loaded.settings.idle_warn_minutes,
        spend_guard_minutes: loaded.settings.spend_guard_minutes,
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
    check_minutes(
        "idleWarnMinutes",
        input.idle_warn_minutes,
        "0 turns the warnings off",
    )?;
    if let Some(m) = input.spend_guard_minutes {
        check_minutes(
            "spendGuardMinutes",
            m,
            "leave it empty to turn the warning off",
        )?;
        if m == 0 {
            return Err(CommandError::new(
                "invalid-input",
                "spendGuardMinutes: give at least 1 minute, or leave it empty to turn the warning off",
            ));
        }
    }
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
    let saved = AppSettings {
        notebook_close: input.notebook_close,
        start_at_login: input.start_at_login,
        idle_warn_minutes: input.idle_warn_minutes,
        spend_guard_minutes: input.spend_guard_minutes,
        ..before
    };
    state.settings.save(&saved)?;
    state.service.set_idle_settings(saved.idle());
    view(state)
}

fn check_minutes(field: &str, minutes: u32, off: &str) -> Result<(), CommandError> {
    if minutes > MAX_IDLE_MINUTES {
        return Err(CommandError::new(
            "invalid-input",
            format!(
                "{field}: {minutes} minutes is more than a day; give at most {MAX_IDLE_MINUTES} ({off})"
            ),
        ));
    }
    Ok(())
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
