//! Launches: start one (a new session or an existing one), publish its progress, and when it
//! is ready hand its tunnel to whatever shows it ([`LiveEvent::TunnelUp`]).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde::Deserialize;
use tokio::sync::watch;

use super::SessionService;
use super::events::{LiveEvent, NoticeKind};
use super::open_tunnel::OpenTunnel;
use super::state::LaunchEntry;
use super::views::LaunchView;
use crate::Error;
use crate::client::{Client, CreateSession};
use crate::launch::{
    LaunchHandle, LaunchPhase, LaunchProgress, LaunchRequest, Launcher, ReusePolicy,
};
use crate::profile::Profile;

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
    /// The profile's recorded launch of this session (name or id), sent again as it was.
    Again { session: String },
}

impl LaunchInput {
    /// The launch request for this form on `profile`, asking `client`'s cluster for a preset.
    /// A bad amount or an unknown preset is an `invalid-input` error naming it.
    pub async fn request(
        &self,
        client: &Client,
        profile: &Profile,
        reuse: ReusePolicy,
    ) -> Result<LaunchRequest, Error> {
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
            Some(preset) => crate::presets::resolve_preset(client, &preset)
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
                spec.resources = crate::resources::to_api(&custom)?;
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

impl SessionService {
    /// Start a launch on `profile_id` and return its id at once; progress follows as events.
    pub async fn start_launch(
        &self,
        profile_id: &str,
        target: Target,
        quick_start: bool,
    ) -> Result<String, Error> {
        let profile = self.profile(profile_id).await?;
        let client = self.connect(&profile).await?;
        let launcher = Launcher::new(client, self.inner.opener.clone());
        let sink = self.history_sink(&profile);
        let handle = match target {
            Target::Create { input, reuse } => {
                let req = input.request(launcher.client(), &profile, reuse).await?;
                launcher.launch(req.recorded_in(sink))
            }
            Target::Again { session } => {
                let record = self.recorded_launch(&profile.id, &session).await?;
                launcher.launch(record.launch_request().recorded_in(sink))
            }
            Target::Existing { session, app } => launcher.open_existing(&session, app.as_deref()),
        };
        let id = format!(
            "launch-{}",
            self.inner.next_launch.fetch_add(1, Ordering::Relaxed)
        );
        let progress = handle.progress();
        let first = LaunchView::new(&id, &profile.id, &profile.name, &progress.borrow());
        self.inner.maps.launches().insert(
            id.clone(),
            LaunchEntry {
                canceller: handle.canceller(),
                last: first.clone(),
                ended: None,
            },
        );
        tracing::info!(launch = %id, profile = %profile.name, "launch started");
        self.sync().await;
        self.publish(LiveEvent::LaunchStarted(first.clone()));
        self.publish(LiveEvent::LaunchProgress(first.clone()));
        self.spawn(self.clone().forward(first.clone(), progress));
        self.spawn(self.clone().finish(first, handle, quick_start));
        Ok(id)
    }

    /// Open a session's app: show its windows if it has any (returns `None`), else start a
    /// launch attaching to it (returns its id).
    pub async fn open(
        &self,
        profile_id: &str,
        session_id: &str,
        app: Option<String>,
    ) -> Result<Option<String>, Error> {
        if self.focus_open(session_id) {
            return Ok(None);
        }
        let target = Target::Existing {
            session: session_id.to_owned(),
            app,
        };
        self.start_launch(profile_id, target, false).await.map(Some)
    }

    /// The latest view of a launch (for a progress view that opened after it started).
    pub fn launch_status(&self, launch_id: &str) -> Result<LaunchView, Error> {
        self.inner
            .maps
            .launches()
            .get(launch_id)
            .map(|e| e.last.clone())
            .ok_or_else(|| Error::LaunchNotKnown {
                launch: launch_id.to_owned(),
            })
    }

    /// Ask a launch to stop. A session it created is destroyed; an existing one is left alone.
    pub fn cancel_launch(&self, launch_id: &str) -> Result<(), Error> {
        let launches = self.inner.maps.launches();
        let entry = launches
            .get(launch_id)
            .ok_or_else(|| Error::LaunchNotKnown {
                launch: launch_id.to_owned(),
            })?;
        if entry.running() {
            tracing::info!(launch = launch_id, "launch cancel asked");
            entry.canceller.cancel();
        }
        Ok(())
    }

    fn record(&self, view: &LaunchView) {
        if let Some(e) = self.inner.maps.launches().get_mut(&view.launch_id)
            && e.running()
        {
            e.last = view.clone();
        }
    }

    /// Each progress step until the end; the final step is published by [`Self::finish`].
    async fn forward(self, first: LaunchView, mut rx: watch::Receiver<LaunchProgress>) {
        while rx.changed().await.is_ok() {
            let p = rx.borrow_and_update().clone();
            if p.phase.is_final() {
                break;
            }
            let view =
                LaunchView::new(&first.launch_id, &first.profile_id, &first.profile_name, &p);
            self.record(&view);
            self.publish(LiveEvent::LaunchProgress(view));
        }
    }

    async fn finish(self, first: LaunchView, handle: LaunchHandle, quick_start: bool) {
        let progress = handle.progress();
        let result = handle.result().await;
        let mut view = LaunchView::new(
            &first.launch_id,
            &first.profile_id,
            &first.profile_name,
            &progress.borrow(),
        );
        let mut up = None;
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
                // A second tunnel to the same app replaces one no window shows.
                let replaced = self.inner.maps.tunnels().insert(open.key(), open.clone());
                if let Some(old) = replaced {
                    old.tunnel.close();
                }
                self.notice(
                    NoticeKind::SessionReady,
                    format!("{} is ready", ready.session_name),
                    format!("{} opened on {}.", ready.app, first.profile_name),
                );
                up = Some(open);
            }
            Err(e) => {
                let cancelled = e.code() == "launch-cancelled";
                view.phase = if cancelled {
                    LaunchPhase::Cancelled
                } else {
                    LaunchPhase::Failed
                };
                tracing::info!(launch = %first.launch_id, code = e.code(), "launch ended: {e}");
                let problem = self.word(&e);
                if !cancelled {
                    self.notice(
                        NoticeKind::LaunchFailed,
                        "Launch failed".into(),
                        format!("{} ({})", problem.message, first.profile_name),
                    );
                    view.message = problem.message.clone();
                }
                view.error = Some(problem);
            }
        }
        // Ended: kept (bounded) for a late progress view, no longer a reason to watch.
        self.inner.maps.finish_launch(&view);
        self.publish(LiveEvent::LaunchProgress(view));
        if let Some(tunnel) = up {
            self.publish(LiveEvent::TunnelUp {
                launch_id: first.launch_id.clone(),
                tunnel,
            });
        }
        self.sync().await;
        self.wake(&first.profile_id);
    }
}
