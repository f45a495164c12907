//! The demo: `start_demo` runs the bundled demo server and adds (or refreshes) the "Demo"
//! profile for it; `demo_setup` says what the demo needs (JupyterLab) and how an install the
//! user asked for (`install_demo_jupyter`) is going.

use std::path::PathBuf;

use bai_core::EndpointKind;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};

use super::profiles;
use super::views::{ProfileInput, ProfileView};
use crate::demo::DemoServer;
use crate::demo_jupyter::{InstallStatus, JupyterSource};
use crate::error::CommandError;
use crate::state::AppState;

/// The name of the profile the demo adds.
pub const DEMO_PROFILE: &str = "Demo";

/// The app's data dir, where its JupyterLab venv goes.
fn data_dir<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    app.path().app_data_dir().ok()
}

#[tauri::command]
pub async fn start_demo<R: Runtime>(app: AppHandle<R>) -> Result<ProfileView, CommandError> {
    let state = app.state::<AppState>();
    start(&state, data_dir(&app)).await
}

pub async fn start(
    state: &AppState,
    data_dir: Option<PathBuf>,
) -> Result<ProfileView, CommandError> {
    let info = {
        // One start at a time: a second click waits here, then reuses the first one's server.
        let _starting = state.demo_start().lock().await;
        let running = {
            let mut demo = state.demo();
            let running = demo.as_mut().is_some_and(DemoServer::is_running);
            demo.as_ref().filter(|_| running).map(|d| d.info.clone())
        };
        match running {
            Some(info) => info,
            None => {
                let bin = state.testkit_bin()?;
                let jupyter = state.jupyter_lookup(data_dir).find()?;
                tracing::info!(jupyter = %jupyter.jupyter.display(), source = ?jupyter.source, "starting the demo server");
                // Waiting for the ready line blocks (up to 30 s): not on a runtime worker.
                let server =
                    tokio::task::spawn_blocking(move || DemoServer::start(&bin, &jupyter.jupyter))
                        .await
                        .map_err(|e| {
                            CommandError::new(
                                "demo-unavailable",
                                format!("the demo did not start: {e}"),
                            )
                        })??;
                let info = server.info.clone();
                let dead = state.demo().replace(server);
                if let Some(dead) = dead {
                    // It exited on its own: this only reaps it.
                    tokio::task::spawn_blocking(move || dead.stop());
                }
                info
            }
        }
    };
    let input = ProfileInput {
        name: DEMO_PROFILE.to_owned(),
        endpoint: info.manager_url.clone(),
        kind: EndpointKind::Api,
        access_key: Some(info.access_key.clone()),
        email: None,
        remember_password: false,
        domain: None,
        project: None,
        resource_group: None,
        skip_tls_verify: Some(false),
        ca_cert: Some(String::new()),
        resources: None,
        secret: Some(info.secret_key.clone()),
        otp: None,
        force_login: false,
        make_default: false,
    };
    // The demo's port changes each start: refresh the existing profile rather than add another.
    let existing = state
        .profiles
        .load()?
        .find(DEMO_PROFILE)
        .map(|p| p.id.clone());
    match existing {
        Some(id) => profiles::update(state, &id, input).await,
        None => profiles::add(state, input).await,
    }
}

/// What the demo needs and has: `demo_setup`'s answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoSetupView {
    /// The `jupyter` the demo would run, if any.
    pub jupyterlab: Option<String>,
    /// Where it was found.
    pub source: Option<JupyterSource>,
    /// When there is none: what it is for and what to run, for a person.
    pub explanation: Option<String>,
    /// The exact commands that install it where the app looks.
    pub commands: Vec<String>,
    /// Where "Install JupyterLab" puts it.
    pub venv_dir: Option<String>,
    /// Whether the app can do the install itself (it has a data dir and python3 is on PATH).
    pub can_install: bool,
    pub install: InstallStatus,
}

#[tauri::command]
pub async fn demo_setup<R: Runtime>(app: AppHandle<R>) -> Result<DemoSetupView, CommandError> {
    let state = app.state::<AppState>();
    Ok(setup(&state, data_dir(&app)))
}

pub fn setup(state: &AppState, data_dir: Option<PathBuf>) -> DemoSetupView {
    let lookup = state.jupyter_lookup(data_dir);
    let found = lookup.find();
    let (jupyterlab, source, explanation) = match &found {
        Ok(f) => (Some(f.jupyter.display().to_string()), Some(f.source), None),
        Err(e) => (None, None, Some(e.message.clone())),
    };
    DemoSetupView {
        jupyterlab,
        source,
        explanation,
        commands: lookup.install_commands(),
        venv_dir: lookup.venv.as_ref().map(|v| v.display().to_string()),
        can_install: lookup.venv.is_some() && lookup.python().is_some(),
        install: state.jupyter_install.status(),
    }
}

/// Install JupyterLab into the app's own venv: the user pressed "Install JupyterLab" after
/// reading what it does (`consent` must be true). Returns at once; `demo_setup` follows it.
#[tauri::command]
pub async fn install_demo_jupyter<R: Runtime>(
    app: AppHandle<R>,
    consent: bool,
) -> Result<DemoSetupView, CommandError> {
    let state = app.state::<AppState>();
    install(&state, data_dir(&app), consent)
}

pub fn install(
    state: &AppState,
    data_dir: Option<PathBuf>,
    consent: bool,
) -> Result<DemoSetupView, CommandError> {
    if !consent {
        return Err(CommandError::new(
            "invalid-input",
            "JupyterLab is installed only when you ask for it",
        ));
    }
    let lookup = state.jupyter_lookup(data_dir.clone());
    let venv = lookup.venv.clone().ok_or_else(|| {
        CommandError::new(
            "demo-setup-failed",
            "the launcher has no data folder to install JupyterLab into",
        )
    })?;
    let python = lookup.python().ok_or_else(|| {
        CommandError::new(
            "demo-setup-failed",
            "Python 3 is not installed, and installing JupyterLab needs it. On Debian or Ubuntu: sudo apt install python3 python3-venv",
        )
    })?;
    state.jupyter_install.start(python, venv);
    Ok(setup(state, data_dir))
}
