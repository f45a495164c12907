//! Profile commands. Listing and editing never touch the network; only `test_connection`,
//! `detect_endpoint` and saving a webserver profile with a password (it signs in) do.

use std::path::PathBuf;

use bai_core::account::{self, EnvAccount};
use bai_core::client::{LoginOptions, detect};
use bai_core::profile::{
    KnownDirs, LaunchPreset, Profile, ProfileDraft, ProfilePatch, TlsSettings, edit_profile,
    find_orphans,
};
use bai_core::{Endpoint, EndpointKind};
use bai_secrets::SecretStore;
use tauri::State;

use super::views::{
    ConnectionReport, DetectedView, OrphanView, OrphansView, ProfileInput, ProfileListView,
    ProfileView, signing_secret,
};
use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command]
pub async fn list_profiles(state: State<'_, AppState>) -> Result<ProfileListView, CommandError> {
    let (profiles, secrets) = (state.profiles.clone(), state.secrets.clone());
    off_runtime(move || list(&profiles, secrets.as_ref())).await
}

/// Run `f` on the blocking pool: the profile store takes a file lock, and the OS keyring is a
/// synchronous D-Bus call that may wait on an unlock prompt; neither may hold a runtime worker.
pub async fn off_runtime<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CommandError::new("internal", format!("a background task failed: {e}")))?
}

/// The list view; a keyring that cannot be read is reported once, not per profile.
pub fn list(
    store: &bai_core::profile::ProfileStore,
    secret_store: &dyn SecretStore,
) -> Result<ProfileListView, CommandError> {
    let loaded = store.load()?;
    let mut warnings = loaded.report.warnings.clone();
    if let Some(aside) = &loaded.report.moved_aside {
        warnings.push(format!(
            "the damaged file was copied to {}",
            aside.display()
        ));
    }
    let default_id = loaded.file.default.clone();
    let mut keyring_error = None;
    let mut profiles = Vec::new();
    for p in loaded.list() {
        let secrets = keyring_error.is_none().then_some(secret_store);
        let view = match ProfileView::new(p, default_id.as_deref(), secrets) {
            Ok(v) => v,
            Err(e) => {
                keyring_error = Some(e);
                ProfileView::new(p, default_id.as_deref(), None)?
            }
        };
        profiles.push(view);
    }
    Ok(ProfileListView {
        profiles,
        default_id,
        warnings,
        keyring_error,
    })
}

/// The view of the profile with this id, as stored now (read off the runtime's threads).
pub async fn view(state: &AppState, id: &str) -> Result<ProfileView, CommandError> {
    let (store, secrets, id) = (state.profiles.clone(), state.secrets.clone(), id.to_owned());
    off_runtime(move || {
        let loaded = store.load()?;
        let p = loaded.get(&id)?;
        ProfileView::new(p, loaded.file.default.as_deref(), Some(secrets.as_ref()))
    })
    .await
}

fn draft(input: &ProfileInput) -> Result<ProfileDraft, CommandError> {
    Ok(ProfileDraft {
        name: input.name.clone(),
        endpoint: input.endpoint.clone(),
        kind: Some(input.kind),
        access_key: input.access_key.clone(),
        email: input.email.clone(),
        remember_password: input.remember_password,
        domain: input.domain.clone(),
        project: input.project.clone(),
        resource_group: input.resource_group.clone(),
        quick_start: LaunchPreset {
            resources: bai_core::resources::validate_all(
                &input.resources.clone().unwrap_or_default(),
            )?,
            ..LaunchPreset::default()
        },
        tls: TlsSettings {
            ca_cert: input.ca_cert.as_deref().and_then(ca_path),
            skip_verify: input.skip_tls_verify.unwrap_or(false),
        },
    })
}

fn ca_path(text: &str) -> Option<PathBuf> {
    Some(text.trim())
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
}

/// The edit the form asks for: only what it sends changes. A form that leaves out `caCert` or
/// `skipTlsVerify` keeps the profile's TLS settings (an empty `caCert` removes the CA).
fn patch(input: &ProfileInput) -> ProfilePatch {
    ProfilePatch {
        name: Some(input.name.clone()),
        endpoint: Some(input.endpoint.clone()),
        kind: Some(input.kind),
        access_key: input.access_key.clone(),
        email: input.email.clone(),
        // The form's checkbox exists only for web UI server profiles.
        remember_password: (input.kind == EndpointKind::Webserver)
            .then_some(input.remember_password),
        domain: input.domain.clone(),
        project: input.project.clone(),
        resource_group: input.resource_group.clone(),
        resources: input.resources.clone(),
        ca_cert: input.ca_cert.as_deref().map(ca_path),
        skip_verify: input.skip_tls_verify,
        ..ProfilePatch::default()
    }
}

#[tauri::command]
pub async fn add_profile(
    state: State<'_, AppState>,
    input: ProfileInput,
) -> Result<ProfileView, CommandError> {
    add(&state, input).await
}

pub async fn add(state: &AppState, input: ProfileInput) -> Result<ProfileView, CommandError> {
    let profile = state.profiles.add(draft(&input)?, input.make_default)?;
    if let Err(e) = store_secret(state, &profile, &input).await {
        // A profile that cannot sign in is worse than none: undo, so a retry can use the name.
        if let Err(undo) = state.profiles.remove(&profile.id) {
            tracing::warn!(profile = %profile.name, "could not undo the add: {undo}");
        }
        return Err(e);
    }
    tracing::info!(profile = %profile.name, kind = %profile.kind, "profile added");
    // A new default profile is watched (the tray lists it); the tray's profile menu follows.
    state.service.sync().await;
    view(state, &profile.id).await
}

/// Keep the secret the form sent: the secret key of an API profile; for a webserver profile,
/// sign in with the password (and the one-time code or "sign out the other session" when the
/// form has them) and keep the password only when it is to be remembered. A server that
/// refuses the sign-in fails the save, so a mistyped password never makes a profile that cannot
/// work; an unreachable server fails it too unless the password is remembered (then the
/// profile signs in by itself once the server answers).
async fn store_secret(
    state: &AppState,
    profile: &Profile,
    input: &ProfileInput,
) -> Result<(), CommandError> {
    let Some(secret) = input.secret.as_ref().filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let secrets: &dyn SecretStore = state.secrets.as_ref();
    match profile.kind {
        EndpointKind::Api => secrets.set(&signing_secret(&profile.id, profile.kind), secret)?,
        EndpointKind::Webserver => {
            let email = profile.email.clone().unwrap_or_default();
            let cfg = account::client_config(profile)?;
            let options = LoginOptions {
                otp: input.otp.clone(),
                force: input.force_login,
                ..LoginOptions::default()
            };
            match account::log_in_with(profile, cfg, secrets, &email, secret, &options).await {
                Ok(_) => {}
                // Unreachable (offline, DNS, down): the remembered password signs in later.
                Err(e)
                    if profile.remember_password
                        && (e.is_transient() || matches!(e, bai_core::Error::Dns { .. })) =>
                {
                    tracing::warn!(profile = %profile.name, code = e.code(), "saved without signing in: {e}");
                }
                Err(e) => return Err(e.into()),
            }
            if profile.remember_password {
                secrets.set(&signing_secret(&profile.id, profile.kind), secret)?;
            }
        }
    }
    Ok(())
}

#[tauri::command]
pub async fn update_profile(
    state: State<'_, AppState>,
    id: String,
    input: ProfileInput,
) -> Result<ProfileView, CommandError> {
    update(&state, &id, input).await
}

pub async fn update(
    state: &AppState,
    id: &str,
    input: ProfileInput,
) -> Result<ProfileView, CommandError> {
    // What an edit keeps and clears (TLS kept, login session cleared on a new endpoint, email
    // or kind) is the core's rule, shared with `bai profile edit`.
    let edited = edit_profile(&state.profiles, state.secrets.as_ref(), id, &patch(&input))?;
    let updated = edited.profile;
    store_secret(state, &updated, &input).await?;
    if input.make_default {
        state.profiles.set_default(&updated.id)?;
    }
    tracing::info!(profile = %updated.name, login_cleared = edited.login_session_cleared, "profile updated");
    view(state, &updated.id).await
}

#[tauri::command]
pub async fn rename_profile(
    state: State<'_, AppState>,
    id: String,
    new_name: String,
) -> Result<ProfileView, CommandError> {
    let p = state.profiles.rename(&id, &new_name)?;
    tracing::info!(profile = %p.name, "profile renamed");
    state.service.sync().await;
    view(&state, &p.id).await
}

#[tauri::command]
pub async fn remove_profile(state: State<'_, AppState>, id: String) -> Result<(), CommandError> {
    let removed = state.profiles.remove(&id)?;
    // Its watcher stops and its list goes from the tray.
    state.service.sync().await;
    // The profile is gone; secrets left behind are harmless, and `orphan_secrets` (and
    // `bai profile secrets --orphans`) find them.
    let (secrets, gone) = (state.secrets.clone(), removed.id.clone());
    if let Err(e) = off_runtime(move || Ok(secrets.delete_profile(&gone)?)).await {
        tracing::warn!(profile = %removed.name, "secrets not deleted: {e}");
    }
    tracing::info!(profile = %removed.name, "profile removed");
    Ok(())
}

#[tauri::command]
pub async fn set_default_profile(
    state: State<'_, AppState>,
    id: String,
) -> Result<ProfileView, CommandError> {
    let p = state.profiles.set_default(&id)?;
    state.service.sync().await;
    view(&state, &p.id).await
}

#[tauri::command]
pub async fn test_connection(
    state: State<'_, AppState>,
    id: String,
) -> Result<ConnectionReport, CommandError> {
    test(&state, &id).await
}

pub async fn test(state: &AppState, id: &str) -> Result<ConnectionReport, CommandError> {
    let profile = state.profiles.load()?.get(id)?.clone();
    let client = account::connect_shared(&profile, state.secrets.clone()).await?;
    let info = client.server_info().await?;
    let negotiated = client.api_version().await?;
    let user = client.current_user().await?;
    let role = match user.role.clone() {
        Some(r) => Some(r),
        None => client.role(None).await.ok().and_then(|r| r.global_role),
    };
    tracing::info!(profile = %profile.name, api = %info.version, "connection tested");
    Ok(ConnectionReport {
        server_version: info.manager,
        api_version: info.version.to_string(),
        negotiated_version: negotiated.to_string(),
        email: user.email,
        full_name: user.full_name.filter(|n| !n.is_empty()),
        role,
    })
}

/// `detect_endpoint`: probe an address with the form's TLS settings (its CA file and
/// skip-verify), the same trust the profile will use once saved.
#[tauri::command]
pub async fn detect_endpoint(
    url: String,
    ca_cert: Option<String>,
    skip_tls_verify: Option<bool>,
) -> Result<DetectedView, CommandError> {
    let endpoint = Endpoint::parse(&url)?;
    let tls = TlsSettings {
        ca_cert: ca_cert.filter(|p| !p.trim().is_empty()).map(PathBuf::from),
        skip_verify: skip_tls_verify.unwrap_or(false),
    };
    let d = detect(&endpoint, &account::load_tls(&tls, None)?).await?;
    Ok(DetectedView {
        endpoint: d.endpoint.to_string(),
        kind: d.kind,
        api_version: d.version.map(|v| v.to_string()),
        manager_version: d.manager_version,
    })
}

/// `orphan_secrets`: secrets no profile in any known config directory uses (read-only; `bai
/// profile secrets --orphans --clean` deletes them after asking).
#[tauri::command]
pub async fn orphan_secrets(state: State<'_, AppState>) -> Result<OrphansView, CommandError> {
    orphans(&state, &KnownDirs::from_env(&|k| std::env::var(k).ok()))
}

pub fn orphans(state: &AppState, known: &KnownDirs) -> Result<OrphansView, CommandError> {
    let report = find_orphans(state.secrets.as_ref(), known, state.profiles.dir())?;
    Ok(OrphansView {
        orphans: report
            .orphans
            .iter()
            .map(|r| OrphanView {
                profile_id: r.profile_id.clone(),
                kind: r.kind.as_str().to_owned(),
            })
            .collect(),
        config_dirs: report
            .dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        blocked: report.blocked,
    })
}

/// `import_env_profile`: a profile from the official Backend.AI client on this computer: its
/// `BACKEND_*` variables in the launcher's environment when set, else the profile it uses in
/// its folder, `~/.backend.ai` (the secret key goes to the secret store).
#[tauri::command]
pub async fn import_env_profile(
    state: State<'_, AppState>,
    name: Option<String>,
) -> Result<ProfileView, CommandError> {
    import_env(&state, name, |k| std::env::var(k).ok()).await
}

/// What nothing to import says: the app's words, naming its own button.
const NOTHING_TO_IMPORT: &str = "the Backend.AI command-line client is not set up on this computer (it has no ~/.backend.ai folder): press Add a profile and enter the endpoint and keys";

/// The account the official client uses, as found by [`import_env`]: from its variables, or
/// from its folder under `HOME` (`var` reads both, so tests point it anywhere), with the name
/// to give it when none is given and whether the client skips TLS verification for it.
fn official_account(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<(EnvAccount, String, bool), CommandError> {
    if let Some(env) = EnvAccount::from_vars(var)? {
        return Ok((env, "Imported".to_owned(), false));
    }
    let home = var("HOME")
        .or_else(|| var("USERPROFILE"))
        .filter(|h| !h.is_empty());
    let Some(dir) = home.map(|h| PathBuf::from(h).join(".backend.ai")) else {
        return Err(CommandError::new("nothing-to-import", NOTHING_TO_IMPORT));
    };
    if !dir.is_dir() {
        return Err(CommandError::new("nothing-to-import", NOTHING_TO_IMPORT));
    }
    let official = bai_core::profile::transfer::official::read_official_dir(&dir)?;
    let Some(found) = official
        .accounts
        .iter()
        .find(|a| official.is_current(a))
        .or_else(|| official.accounts.first())
    else {
        let why = official
            .skipped
            .first()
            .map(|(_, why)| format!(" ({why})"))
            .unwrap_or_default();
        return Err(CommandError::new(
            "nothing-to-import",
            format!(
                "the Backend.AI client's folder, {}, holds no account this app can read{why}: press Add a profile and enter the endpoint and keys",
                dir.display()
            ),
        ));
    };
    let env = EnvAccount {
        endpoint: Endpoint::parse(&found.endpoint)?,
        kind: found.kind,
        access_key: found.access_key.clone(),
        secret_key: found.secret_key.clone(),
        domain: found.domain.clone().unwrap_or_else(|| "default".to_owned()),
        group: found.group.clone(),
    };
    let name = found
        .name
        .clone()
        .unwrap_or_else(|| bai_core::profile::transfer::name_from_endpoint(&found.endpoint));
    Ok((env, name, found.skip_tls_verify))
}

pub async fn import_env(
    state: &AppState,
    name: Option<String>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<ProfileView, CommandError> {
    let (env, default_name, skip_tls_verify) = official_account(&var)?;
    if env.kind == EndpointKind::Webserver {
        return Err(CommandError::new(
            "invalid-input",
            "the Backend.AI client here signs in with an email and password, which it does not keep: press Add a profile, choose sign-in with email and password, and enter them",
        ));
    }
    if env.access_key.is_none() || env.secret_key.is_none() {
        return Err(CommandError::new(
            "invalid-input",
            "the Backend.AI client here has no access key and secret key set: press Add a profile and enter them",
        ));
    }
    let input = ProfileInput {
        name: name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(default_name),
        endpoint: env.endpoint.to_string(),
        kind: env.kind,
        access_key: env.access_key,
        email: None,
        remember_password: false,
        domain: Some(env.domain),
        project: env.group,
        resource_group: None,
        skip_tls_verify: skip_tls_verify.then_some(true),
        ca_cert: None,
        resources: None,
        secret: env.secret_key,
        otp: None,
        force_login: false,
        make_default: false,
    };
    add(state, input).await
}
