//! Session and launch commands. Lists reach the UI as `sessions-changed` events and launches
//! as `launch-progress` events (see `crate::live::to_launcher`); these commands only ask the
//! session service to start and stop things.

use std::collections::BTreeMap;

use bai_core::client::Client;
use bai_core::launch::ReusePolicy;
use bai_core::live::{LaunchInput, LaunchView, QuickStartView, SessionsSnapshot, Target};
use bai_core::presets;
use serde::Serialize;
use serde_json::Value;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// Show this profile's sessions (or none): its watcher runs while shown and pushes
/// `sessions-changed`. Returns the last known list, if any, at once.
#[tauri::command]
pub async fn watch_sessions(
    state: State<'_, AppState>,
    profile_id: Option<String>,
) -> Result<Option<SessionsSnapshot>, CommandError> {
    Ok(state.service.watch(profile_id).await)
}

#[tauri::command]
pub async fn terminate_session(
    state: State<'_, AppState>,
    profile_id: String,
    session_id: String,
) -> Result<(), CommandError> {
    Ok(state.service.terminate(&profile_id, &session_id).await?)
}

/// Start a notebook with a cluster preset on a profile: the Start button of a `launch` link's
/// question (the profile's quick-start image and app). Returns the launch to follow.
#[tauri::command]
pub async fn launch_preset(
    state: State<'_, AppState>,
    profile_id: String,
    preset: String,
) -> Result<String, CommandError> {
    let launch = state
        .service
        .launch_with_preset(&profile_id, &preset)
        .await?;
    tracing::info!(launch = %launch, "launch started from a link, as the user confirmed");
    Ok(launch)
}

/// "Keep alive": app traffic through the session's proxy resets the cluster's network-timeout
/// checker. Refused (`keep-alive-not-offered`) where only real use or nothing resets it.
#[tauri::command]
pub async fn keep_alive(
    state: State<'_, AppState>,
    profile_id: String,
    session_id: String,
) -> Result<(), CommandError> {
    Ok(state.service.keep_alive(&profile_id, &session_id).await?)
}

/// "Keep" on a spend warning: no warning about this idle stretch again.
#[tauri::command]
pub async fn keep_idle_session(
    state: State<'_, AppState>,
    profile_id: String,
    session_id: String,
) -> Result<(), CommandError> {
    state.service.keep_idle_session(&profile_id, &session_id);
    Ok(())
}

/// Open a running session's app in a notebook window: the open window if there is one (returns
/// `None`), else a launch attaching to it (returns its id).
#[tauri::command]
pub async fn open_session(
    state: State<'_, AppState>,
    profile_id: String,
    session_id: String,
    app_name: Option<String>,
) -> Result<Option<String>, CommandError> {
    Ok(state
        .service
        .open(&profile_id, &session_id, app_name)
        .await?)
}

/// Start a launch from the form; returns its id at once.
#[tauri::command]
pub async fn launch_session(
    state: State<'_, AppState>,
    profile_id: String,
    input: LaunchInput,
) -> Result<String, CommandError> {
    if input.image.trim().is_empty() {
        return Err(CommandError::new(
            "invalid-input",
            "choose an image to launch",
        ));
    }
    let target = Target::Create {
        input: Box::new(input),
        reuse: ReusePolicy::CreateNew,
    };
    Ok(state
        .service
        .start_launch(&profile_id, target, false)
        .await?)
}

#[tauri::command]
pub async fn launch_status(
    state: State<'_, AppState>,
    launch_id: String,
) -> Result<LaunchView, CommandError> {
    Ok(state.service.launch_status(&launch_id)?)
}

#[tauri::command]
pub async fn cancel_launch(
    state: State<'_, AppState>,
    launch_id: String,
) -> Result<(), CommandError> {
    Ok(state.service.cancel_launch(&launch_id)?)
}

/// The tray's "Quick start", for the launcher's button.
#[tauri::command]
pub async fn quick_start(state: State<'_, AppState>) -> Result<QuickStartView, CommandError> {
    quick_start_now(&state).await
}

/// Quick start, in the app's words: a bad amount or a preset the cluster does not offer comes
/// from the settings, so the message says where to change it.
pub async fn quick_start_now(state: &AppState) -> Result<QuickStartView, CommandError> {
    state.service.quick_start().await.map_err(|e| {
        let e = CommandError::from(e);
        if e.code == "invalid-input" {
            CommandError::new(
                e.code,
                format!("{}; change the quick start in Settings", e.message),
            )
        } else {
            e
        }
    })
}

/// What the launch form offers on a profile's cluster.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchOptions {
    pub images: Vec<ImageOption>,
    pub presets: Vec<PresetOption>,
    pub projects: Vec<String>,
    pub project: String,
    pub resource_groups: Vec<String>,
    pub resource_group: Option<String>,
    pub folders: Vec<String>,
    /// What the account may still allocate (slot → amount), when the server says.
    pub remaining: BTreeMap<String, String>,
    /// Parts that could not be read (the form still works without them).
    pub warnings: Vec<CommandError>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageOption {
    pub reference: String,
    pub apps: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetOption {
    pub name: String,
    pub resources: BTreeMap<String, String>,
    /// Whether it fits now; `None` when the cluster could not tell (never shown as fitting).
    pub allocatable: Option<bool>,
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string())
}

fn texts(m: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), text(v))).collect()
}

#[tauri::command]
pub async fn launch_options(
    state: State<'_, AppState>,
    profile_id: String,
) -> Result<LaunchOptions, CommandError> {
    let profile = state.profiles.load()?.get(&profile_id)?.clone();
    let client = bai_core::account::connect_shared(&profile, state.secrets.clone()).await?;
    // Images are the one part a launch cannot do without: their error is the command's.
    let images = client.images().await?;
    let mut out = LaunchOptions {
        images: images
            .iter()
            .map(|i| ImageOption {
                reference: i.reference(),
                apps: i.service_ports().into_iter().map(|p| p.name).collect(),
            })
            .collect(),
        project: profile.project.clone().unwrap_or_else(|| "default".into()),
        resource_group: profile.resource_group.clone(),
        ..LaunchOptions::default()
    };
    out.images.sort_by(|a, b| a.reference.cmp(&b.reference));
    fill_optional(&client, &mut out).await;
    Ok(out)
}

async fn fill_optional(client: &Client, out: &mut LaunchOptions) {
    let mut warnings = Vec::new();
    match client.current_user().await {
        Ok(u) => out.projects = u.groups.into_iter().map(|g| g.name).collect(),
        Err(e) => warnings.push(CommandError::from(e)),
    }
    if !out.projects.is_empty() && !out.projects.contains(&out.project) {
        out.project = out.projects[0].clone();
    }
    match presets::cluster_presets(client, &out.project, out.resource_group.as_deref()).await {
        Ok(listed) => {
            if let Some(e) = listed.fit_error {
                warnings.push(CommandError::from(e));
            }
            out.presets = listed
                .presets
                .iter()
                .map(|p| PresetOption {
                    name: p.preset.name.clone(),
                    resources: texts(&p.preset.resources),
                    allocatable: p.allocatable,
                })
                .collect();
            out.remaining = texts(&listed.remaining);
        }
        Err(e) => warnings.push(CommandError::from(e)),
    }
    match client.resource_groups(&out.project).await {
        Ok(g) => out.resource_groups = g.into_iter().map(|g| g.name).collect(),
        Err(e) => warnings.push(CommandError::from(e)),
    }
    match client.vfolders().await {
        Ok(f) => out.folders = f.into_iter().map(|f| f.name).collect(),
        Err(e) => warnings.push(CommandError::from(e)),
    }
    out.warnings = warnings;
}
