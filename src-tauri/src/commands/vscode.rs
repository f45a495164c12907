//! `open_in_vscode`: a running session's home in VS Code over Remote-SSH, through the same
//! private path as its notebook (`bai ssh-proxy`: the session's signed stream, no listening
//! port), with this device's key. The rule is `bai_core::ssh`'s, which `bai code` follows too.

use bai_core::client::StatusFilter;
use bai_core::ssh::{self, HostEntry};
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use super::profiles::off_runtime;
use crate::error::CommandError;
use crate::state::AppState;

/// Open the session in VS Code; returns the SSH host alias it wrote.
#[tauri::command]
pub async fn open_in_vscode<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    profile_id: String,
    session_id: String,
) -> Result<String, CommandError> {
    open(&app, &state, &profile_id, &session_id).await
}

pub async fn open<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    profile_id: &str,
    session_id: &str,
) -> Result<String, CommandError> {
    let places = state.ssh.clone();
    let code = places.code().ok_or_else(|| {
        CommandError::new(
            "program-missing",
            "VS Code's `code` command was not found. Install Visual Studio Code (code.visualstudio.com) with its Remote - SSH extension; in VS Code, run \"Shell Command: Install 'code' command in PATH\" from the Command Palette, then try again",
        )
    })?;
    let (home, store, bai) = (places.home()?, places.keys()?, places.bai()?);
    let profile = state.profiles.load()?.get(profile_id)?.clone();
    let client = bai_core::account::connect_shared(&profile, state.secrets.clone()).await?;
    let session = client
        .my_sessions(StatusFilter::Active)
        .await?
        .items
        .into_iter()
        .find(|s| s.id == session_id && s.status.is_running())
        .ok_or_else(|| {
            CommandError::new(
                "not-found",
                "this session is not running (any more): VS Code can only open a running session",
            )
        })?;
    let label = profile.name.clone();
    let (key, made) = {
        let (store, label) = (store.clone(), label.clone());
        off_runtime(move || Ok(store.ensure(&label)?)).await?
    };
    if made {
        tracing::info!(profile = %label, fingerprint = %key.fingerprint, "made this device's SSH key");
    }
    let entry = HostEntry {
        profile: label.clone(),
        session: session.name.clone(),
        session_id: Some(session.id.clone()),
        user: ssh::DEFAULT_USER.into(),
        proxy_program: vec![
            bai.to_string_lossy().into_owned(),
            "--config-dir".into(),
            state.profiles.dir().to_string_lossy().into_owned(),
        ],
        identity_file: key.private_key.clone(),
        known_hosts: store.known_hosts_path(&label),
    };
    let host = ssh::prepare_session_host(&client, &store, &key, &entry, &home).await?;
    if !host.included {
        let user_config = home.join(".ssh/config");
        if !ask_include(app, &user_config, &host.file).await {
            return Err(CommandError::new(
                "ssh-include-declined",
                format!(
                    "VS Code finds sessions through {}, which does not include {} yet; the launcher adds that line only with your consent",
                    user_config.display(),
                    host.file.display()
                ),
            ));
        }
        ssh::add_include(&user_config, &host.file)?;
    }
    let args = ssh::vscode_args(&host.alias);
    tracing::info!(host = %host.alias, "opening the session in VS Code");
    let status = off_runtime(move || {
        std::process::Command::new(&code)
            .args(&args)
            .status()
            .map_err(|e| CommandError::new("program-failed", format!("could not run VS Code: {e}")))
    })
    .await?;
    if !status.success() {
        return Err(CommandError::new(
            "program-failed",
            format!("VS Code's `code` command failed ({status})"),
        ));
    }
    Ok(host.alias)
}

/// Ask once whether to add the `Include` line to the user's SSH config. No dialog (the mock
/// runtime): no consent.
async fn ask_include<R: Runtime>(
    app: &AppHandle<R>,
    user_config: &std::path::Path,
    file: &std::path::Path,
) -> bool {
    if app.try_state::<tauri_plugin_dialog::Dialog<R>>().is_none() {
        return false;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .message(format!(
            "VS Code finds sessions through your SSH settings. Add one line to the top of {} that includes the launcher's session entries ({})? Your own entries stay as they are.",
            user_config.display(),
            file.display()
        ))
        .title("Open in VS Code")
        .kind(MessageDialogKind::Info)
        .buttons(MessageDialogButtons::OkCancelCustom(
            "Add the line".into(),
            "Cancel".into(),
        ))
        .show(move |yes| {
            let _ = tx.send(yes);
        });
    rx.await.unwrap_or(false)
}
