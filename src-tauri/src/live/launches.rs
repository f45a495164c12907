//! Launches: start one (new session or an existing one), forward its progress to the launcher
//! as `launch-progress` events, and when it is ready open the notebook window on its tunnel.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bai_core::account;
use bai_core::client::{Client, CreateSession};
use bai_core::launch::{
    LaunchHandle, LaunchPhase, LaunchProgress, LaunchRequest, Launcher, ReusePolicy,
};
use bai_tunnel::WsTunnelOpener;
use serde::Deserialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, Url};
use tokio::sync::watch;

use super::notify::{self, NotificationKind};
use super::views::LaunchView;
use super::{LaunchEntry, OpenTunnel, notebooks, watcher};
use crate::LAUNCHER_WINDOW;
use crate::error::CommandError;
use crate::state::AppState;

pub const LAUNCH_PROGRESS: &str = "launch-progress";
/// Sent when any launch starts (also from the tray), so the launcher can show its progress.
pub const LAUNCH_STARTED: &str = "launch-started";

/// What the launch form sends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchInput {
    pub image: String,
    /// Empty: a generated name.
    #[serde(default)]
    pub name: Option<String>,
    /// A cluster preset by name: resolved on the cluster when the launch starts, by the core's
    /// one rule (its slots and its shared memory), as `bai launch --preset` does. When set,
    /// `resources` is not used.
    #[serde(default)]
    pub preset: Option<String>,
    /// Custom slot → amount (`cpu: "2"`, `mem: "4g"`, `cuda.shares: "0.5"`), read by the core's
    /// one resource parser, as `bai launch --cpu/--mem/--gpu` are.
    #[serde(default)]
    pub resources: BTreeMap<String, String>,
    /// Project (group) name; the profile's, else `default`.
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub mounts: Vec<String>,
    #[serde(default)]
    pub environ: BTreeMap<String, String>,
    /// `jupyterlab` when absent.
    #[serde(default)]
    pub app: Option<String>,
}

/// What to launch.
#[derive(Debug)]
pub enum Target {
    /// A new session from the form (or quick start); its request is built once the cluster is
    /// reached, since a preset is looked up there.
    Create {
        input: Box<LaunchInput>,
        reuse: ReusePolicy,
    },
    Existing {
        session: String,
        app: Option<String>,
    },
}

impl LaunchInput {
    /// The launch request for this form on `profile`, asking `client`'s cluster for a preset.
    /// A bad amount or an unknown preset is an `invalid-input` error naming it.
    pub async fn request(
        &self,
        client: &Client,
        profile: &bai_core::profile::Profile,
        reuse: ReusePolicy,
    ) -> Result<LaunchRequest, CommandError> {
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("");
        let mut spec = CreateSession::new(name, self.image.trim());
        spec.domain = profile.domain.clone();
        if let Some(p) = non_empty(&self.project).or_else(|| profile.project.clone()) {
            spec.group = p;
        }
        spec.scaling_group =
            non_empty(&self.resource_group).or_else(|| profile.resource_group.clone());
        match non_empty(&self.preset) {
            Some(preset) => bai_core::presets::resolve_preset(client, &preset)
                .await?
                .apply_to(&mut spec),
            None => {
                // Blank rows of the form are "not given", not an error.
                let custom: BTreeMap<String, String> = self
                    .resources
                    .iter()
                    .filter(|(k, v)| !k.trim().is_empty() && !v.trim().is_empty())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                // The same parser as `bai launch --cpu/--mem/--gpu`: `cpu: 2` goes out as a
                // number and a bare `mem: "4"` as 4 MiB, never as 4 bytes.
                spec.resources = bai_core::resources::to_api(&custom)?;
            }
        }
        spec.mounts = self.mounts.clone();
        spec.environ = self.environ.clone();
        let mut req = LaunchRequest::create(spec, reuse);
        if let Some(app) = non_empty(&self.app) {
            req = req.app(app);
        }
        Ok(req)
    }
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Start a launch on `profile_id` and return its id at once; progress follows as events.
pub async fn start<R: Runtime>(
    app: &AppHandle<R>,
    profile_id: &str,
    target: Target,
    quick_start: bool,
) -> Result<String, CommandError> {
    let state = app.state::<AppState>();
    let profile = state.profiles.load()?.get(profile_id)?.clone();
    let client = account::connect(&profile, state.secrets.as_ref()).await?;
    let launcher = Launcher::new(client, Arc::new(WsTunnelOpener::default()));
    let handle = match target {
        Target::Create { input, reuse } => {
            let req = input.request(launcher.client(), &profile, reuse).await?;
            launcher.launch(req)
        }
        Target::Existing { session, app } => launcher.open_existing(&session, app.as_deref()),
    };
    let id = format!("launch-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let progress = handle.progress();
    let first = LaunchView::new(&id, &profile.id, &profile.name, &progress.borrow());
    state.live.launches().insert(
        id.clone(),
        LaunchEntry {
            canceller: handle.canceller(),
            last: first.clone(),
            ended: None,
        },
    );
    tracing::info!(launch = %id, profile = %profile.name, "launch started");
    watcher::sync(app);
    emit(app, LAUNCH_STARTED, &first);
    emit(app, LAUNCH_PROGRESS, &first);
    tauri::async_runtime::spawn(forward(app.clone(), first.clone(), progress));
    tauri::async_runtime::spawn(finish(app.clone(), first, handle, quick_start));
    Ok(id)
}

/// The latest view of a launch (for a progress view that opened after it started).
pub fn status<R: Runtime>(app: &AppHandle<R>, launch_id: &str) -> Result<LaunchView, CommandError> {
    app.state::<AppState>()
        .live
        .launches()
        .get(launch_id)
        .map(|e| e.last.clone())
        .ok_or_else(|| gone(launch_id))
}

/// A launch the app does not know: never started in this run, or ended and pruned.
fn gone(launch_id: &str) -> CommandError {
    tracing::debug!(launch = launch_id, "launch not known (ended long ago?)");
    CommandError::new(
        "not-found",
        "this launch has ended and its details are no longer kept: its session, if it has one, is in the profile's list of sessions",
    )
}

/// Ask a launch to stop. A session it created is destroyed; an existing one is left alone.
pub fn cancel<R: Runtime>(app: &AppHandle<R>, launch_id: &str) -> Result<(), CommandError> {
    let state = app.state::<AppState>();
    let launches = state.live.launches();
    let entry = launches.get(launch_id).ok_or_else(|| gone(launch_id))?;
    if !entry.running() {
        return Ok(());
    }
    tracing::info!(launch = launch_id, "launch cancel asked");
    entry.canceller.cancel();
    Ok(())
}

fn emit<R: Runtime>(app: &AppHandle<R>, event: &str, view: &LaunchView) {
    if let Err(e) = app.emit_to(LAUNCHER_WINDOW, event, view) {
        tracing::warn!("could not send {event}: {e}");
    }
}

fn record<R: Runtime>(app: &AppHandle<R>, view: &LaunchView) {
    if let Some(e) = app
        .state::<AppState>()
        .live
        .launches()
        .get_mut(&view.launch_id)
        && e.running()
    {
        e.last = view.clone();
    }
}

/// Each progress step until the end; the final step is sent by [`finish`], which knows the
/// error or has opened the window.
async fn forward<R: Runtime>(
    app: AppHandle<R>,
    first: LaunchView,
    mut rx: watch::Receiver<LaunchProgress>,
) {
    while rx.changed().await.is_ok() {
        let p = rx.borrow_and_update().clone();
        if p.phase.is_final() {
            break;
        }
        let view = LaunchView::new(&first.launch_id, &first.profile_id, &first.profile_name, &p);
        record(&app, &view);
        emit(&app, LAUNCH_PROGRESS, &view);
    }
}

async fn finish<R: Runtime>(
    app: AppHandle<R>,
    first: LaunchView,
    handle: LaunchHandle,
    quick_start: bool,
) {
    let progress = handle.progress();
    let result = handle.result().await;
    let mut view = LaunchView::new(
        &first.launch_id,
        &first.profile_id,
        &first.profile_name,
        &progress.borrow(),
    );
    match result {
        Ok(ready) => {
            let open = OpenTunnel {
                profile_id: first.profile_id.clone(),
                profile_name: first.profile_name.clone(),
                session_id: ready.session_id.clone(),
                session_name: ready.session_name.clone(),
                app: ready.app.clone(),
                tunnel: ready.tunnel.clone(),
                windows: Default::default(),
                quick_start,
            };
            view.phase = LaunchPhase::Ready;
            view.session_id = Some(ready.session_id.clone());
            view.session_name = Some(ready.session_name.clone());
            view.app = Some(ready.app.clone());
            match show(&app, open, &ready.auth_url()) {
                Ok(()) => notify::send(
                    &app,
                    NotificationKind::SessionReady,
                    &format!("{} is ready", ready.session_name),
                    &format!("{} opened on {}.", ready.app, first.profile_name),
                ),
                Err(e) => {
                    ready.tunnel.close();
                    view.phase = LaunchPhase::Failed;
                    view.error = Some(e);
                }
            }
        }
        Err(e) => {
            let cancelled = e.code() == "launch-cancelled";
            view.phase = if cancelled {
                LaunchPhase::Cancelled
            } else {
                LaunchPhase::Failed
            };
            tracing::info!(launch = %first.launch_id, code = e.code(), "launch ended: {e}");
            // The app's words (a button, not a `bai` command), in the view and the notification.
            let error = CommandError::from(e);
            if !cancelled {
                notify::send(
                    &app,
                    NotificationKind::LaunchFailed,
                    "Launch failed",
                    &format!("{} ({})", error.message, first.profile_name),
                );
            }
            view.error = Some(error);
        }
    }
    if matches!(view.phase, LaunchPhase::Failed)
        && let Some(e) = &view.error
    {
        view.message = e.message.clone();
    }
    // Ended: kept (bounded) for a late progress view, no longer a reason to watch its profile.
    app.state::<AppState>().live.finish_launch(&view);
    emit(&app, LAUNCH_PROGRESS, &view);
    watcher::sync(&app);
    watcher::wake(&app, &first.profile_id);
}

/// Open the notebook window on a ready tunnel and keep the tunnel while the window lives.
fn show<R: Runtime>(
    app: &AppHandle<R>,
    open: OpenTunnel,
    auth_url: &bai_secrets::Secret,
) -> Result<(), CommandError> {
    let url = Url::parse(auth_url.expose()).map_err(|e| {
        CommandError::new("internal", format!("the tunnel gave an unusable URL: {e}"))
    })?;
    let window = notebooks::open_window(app, &open, &url, false)?;
    notebooks::register_window(app, &open, window.label());
    Ok(())
}

/// Show a session's notebook again if a window of it is open (tray "Open", quick start).
pub fn focus_open<R: Runtime>(app: &AppHandle<R>, session_id: &str) -> bool {
    let open: Vec<OpenTunnel> = app
        .state::<AppState>()
        .live
        .tunnels()
        .values()
        .filter(|t| t.session_id == session_id)
        .cloned()
        .collect();
    open.iter().any(|t| notebooks::focus_any(app, t))
}
