//! The launch state machine: create → follow to RUNNING → pick the app → open the tunnel →
//! probe until the app answers → ready. A cancel at any point ends it, destroying the session
//! only when this launch created it (or when asked to).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bai_secrets::Secret;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::apps::pick_app;
use super::history::LaunchRecord;
use super::progress::{LaunchPhase, LaunchProgress};
use super::request::{LaunchRequest, ReusePolicy, SessionTarget, generated_name};
use super::tunnel::{AppTunnel, ProbeOutcome, TunnelOpener};
use crate::Error;
use crate::client::{Client, CreateSession, SessionStatus};

/// First and largest pause between readiness probes.
const PROBE_BACKOFF_START: Duration = Duration::from_millis(200);
const PROBE_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How often the session is checked while its app is probed (an end is noticed within about
/// twice this).
const ENDED_CHECK: Duration = Duration::from_secs(2);

/// Launches sessions with one client and one way of opening tunnels. Cheap to clone.
#[derive(Clone)]
pub struct Launcher {
    client: Client,
    opener: Arc<dyn TunnelOpener>,
}

impl fmt::Debug for Launcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Launcher")
            .field("client", &self.client)
            .field("opener", &self.opener)
            .finish()
    }
}

/// A launch that ended well: the app answers behind a local tunnel.
#[derive(Debug, Clone)]
pub struct Ready {
    pub session_id: String,
    pub session_name: String,
    pub app: String,
    pub tunnel: Arc<dyn AppTunnel>,
    /// This launch created the session (so closing it may destroy the session).
    pub created: bool,
}

impl Ready {
    /// A fresh single-use URL to open in the browser or WebView. Never log it.
    pub fn auth_url(&self) -> Secret {
        self.tunnel.auth_url()
    }
}

/// A launch in progress. Dropping it without taking [`result`](LaunchHandle::result) cancels.
#[derive(Debug)]
pub struct LaunchHandle {
    progress: watch::Receiver<LaunchProgress>,
    cancel: Arc<watch::Sender<bool>>,
    task: Option<JoinHandle<Result<Ready, Error>>>,
}

/// Cancels a launch from elsewhere (a UI button). Cheap to clone.
#[derive(Debug, Clone)]
pub struct LaunchCanceller(Arc<watch::Sender<bool>>);

impl LaunchCanceller {
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }
}

impl LaunchHandle {
    /// The latest progress; `changed().await` wakes on each update.
    pub fn progress(&self) -> watch::Receiver<LaunchProgress> {
        self.progress.clone()
    }

    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }

    pub fn canceller(&self) -> LaunchCanceller {
        LaunchCanceller(self.cancel.clone())
    }

    /// Wait for the end of the launch.
    pub async fn result(mut self) -> Result<Ready, Error> {
        let Some(task) = self.task.take() else {
            return Err(Error::TunnelOpen(
                "the launch result was already taken".into(),
            ));
        };
        match task.await {
            Ok(r) => r,
            Err(e) => Err(Error::TunnelOpen(format!("the launch task stopped: {e}"))),
        }
    }
}

impl Drop for LaunchHandle {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.cancel.send_replace(true);
        }
    }
}

impl Launcher {
    pub fn new(client: Client, opener: Arc<dyn TunnelOpener>) -> Self {
        Launcher { client, opener }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Start a launch; follow it with the handle.
    pub fn launch(&self, request: LaunchRequest) -> LaunchHandle {
        let (progress_tx, progress) = watch::channel(LaunchProgress::initial());
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let run = Run {
            client: self.client.clone(),
            opener: self.opener.clone(),
            request,
            progress: progress_tx,
            started: Instant::now(),
            owned: Mutex::new(Owned::default()),
        };
        LaunchHandle {
            progress,
            cancel: Arc::new(cancel_tx),
            task: Some(tokio::spawn(run.run(cancel_rx))),
        }
    }

    /// Open an app of an existing session (`None`: JupyterLab, else Jupyter). The session is
    /// never destroyed by this launch.
    pub fn open_existing(&self, session: &str, app: Option<&str>) -> LaunchHandle {
        let mut request = LaunchRequest::existing(session);
        request.app = app.map(str::to_owned);
        self.launch(request)
    }
}

/// What this launch holds, for the cleanup after a cancel or a failure.
#[derive(Default)]
struct Owned {
    /// Name or id usable in API paths.
    session: Option<String>,
    /// The session's name, for messages (people know their session by name, not by id).
    name: Option<String>,
    created: bool,
    tunnel: Option<Arc<dyn AppTunnel>>,
}

struct Run {
    client: Client,
    opener: Arc<dyn TunnelOpener>,
    request: LaunchRequest,
    progress: watch::Sender<LaunchProgress>,
    started: Instant,
    owned: Mutex<Owned>,
}

/// Why the steps stopped early.
enum Stop {
    Cancelled,
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

impl Run {
    async fn run(self, mut cancel: watch::Receiver<bool>) -> Result<Ready, Error> {
        let outcome = match self.create_or_find().await {
            Ok(_) if *cancel.borrow() => Err(Stop::Cancelled),
            Ok((id, name, status)) => {
                tokio::select! {
                    biased;
                    _ = cancel.wait_for(|c| *c) => Err(Stop::Cancelled),
                    r = self.to_ready(id, name, status) => r,
                }
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(ready) => {
                self.update(LaunchPhase::Ready, "ready", |_| {});
                Ok(ready)
            }
            Err(Stop::Cancelled) => Err(self.cancelled().await),
            Err(Stop::Failed(e)) => Err(self.failed(e).await),
        }
    }

    /// Create the session (or look up the existing one). Not raced with a cancel, so a
    /// session created on the server is always known here and can be destroyed.
    async fn create_or_find(&self) -> Result<(String, String, SessionStatus), Stop> {
        match &self.request.target {
            SessionTarget::Create { spec, reuse } => {
                let mut spec = (**spec).clone();
                if spec.name.trim().is_empty() {
                    spec.name = generated_name();
                }
                spec.enqueue_only = true;
                spec.reuse_if_exists = *reuse == ReusePolicy::ReuseIfExists;
                self.update(LaunchPhase::Creating, "creating the session", |p| {
                    p.session_name = Some(spec.name.clone());
                });
                let created = match self.client.create_session(&spec).await {
                    Ok(c) => c,
                    // A name a live session holds: "launch again" says what to do about it.
                    Err(Error::SessionNameTaken { name, .. }) if self.request.again => {
                        return Err(Error::AgainNameTaken { name }.into());
                    }
                    Err(e) => return Err(e.into()),
                };
                let name = if created.session_name.is_empty() {
                    spec.name.clone()
                } else {
                    created.session_name.clone()
                };
                self.own(|o| {
                    o.session = Some(created.session_id.clone());
                    o.name = Some(name.clone());
                    o.created = created.created;
                });
                self.record(&created.session_id, &spec).await;
                let status = created.status.clone();
                self.update(LaunchPhase::Starting, "session queued", |p| {
                    p.session_id = Some(created.session_id.clone());
                    p.session_name = Some(name.clone());
                    p.status = Some(status.clone());
                });
                Ok((created.session_id, name, created.status))
            }
            SessionTarget::Existing(session) => {
                self.update(LaunchPhase::Creating, "looking up the session", |p| {
                    p.session_name = Some(session.clone());
                });
                let info = self.client.session_info(session).await?;
                self.own(|o| {
                    o.session = Some(session.clone());
                    o.name = Some(session.clone());
                });
                self.update(LaunchPhase::Starting, "session found", |p| {
                    p.status = Some(info.status.clone());
                    p.status_info = info.status_info.clone();
                });
                Ok((session.clone(), session.clone(), info.status))
            }
        }
    }

    async fn to_ready(
        &self,
        id: String,
        name: String,
        status: SessionStatus,
    ) -> Result<Ready, Stop> {
        if !status.is_running() {
            let wait = self.wait_running(&id, &name, status);
            match tokio::time::timeout(self.request.start_timeout, wait).await {
                Ok(r) => r?,
                Err(_) => {
                    let status = self
                        .progress
                        .borrow()
                        .status
                        .clone()
                        .unwrap_or(SessionStatus::Pending);
                    return Err(Error::StartTimeout {
                        session: name,
                        status,
                        after: self.request.start_timeout,
                    }
                    .into());
                }
            }
        }

        self.update(LaunchPhase::PickingApp, "choosing the app", |_| {});
        let apps = self.client.session_apps(&id).await?;
        let app = pick_app(&apps, self.request.app.as_deref())?;
        self.update(
            LaunchPhase::OpeningTunnel,
            "opening the local tunnel",
            |p| {
                p.app = Some(app.clone());
            },
        );
        let tunnel = self
            .opener
            .open(&self.client, &id, &app)
            .await
            .map_err(Error::TunnelOpen)?;
        self.own(|o| o.tunnel = Some(tunnel.clone()));
        // A session that ends while its app is still starting (terminated elsewhere, killed
        // by the scheduler) would only be probed until `ready_timeout`: end the launch then.
        tokio::select! {
            r = self.probe_until_ready(tunnel.as_ref(), &app) => r?,
            (status, status_info) = self.client.session_end(&id, ENDED_CHECK) => {
                return Err(Error::SessionEnded {
                    session: name,
                    status,
                    status_info,
                }
                .into());
            }
        }
        let created = self.own(|o| o.created);
        Ok(Ready {
            session_id: id,
            session_name: name,
            app,
            tunnel,
            created,
        })
    }

    /// Follow the session (events, polling fallback) until RUNNING.
    async fn wait_running(
        &self,
        id: &str,
        name: &str,
        mut last: SessionStatus,
    ) -> Result<(), Stop> {
        let mut updates = self
            .client
            .follow_session_with(name, id, self.request.follow);
        let mut last_info = None;
        while let Some(update) = updates.next().await {
            let update = update?;
            last = update.status.clone();
            last_info = update.status_info.clone();
            let message = format!("session is {}", update.status);
            self.update(LaunchPhase::Starting, &message, |p| {
                p.status = Some(update.status.clone());
                p.status_info = update.status_info.clone();
            });
            if update.status.is_running() {
                return Ok(());
            }
            if update.status.is_terminal() {
                break;
            }
        }
        Err(Error::SessionEnded {
            session: name.to_owned(),
            status: last,
            status_info: last_info,
        }
        .into())
    }

    /// Probe with backoff until the app answers, within `ready_timeout`.
    async fn probe_until_ready(&self, tunnel: &dyn AppTunnel, app: &str) -> Result<(), Stop> {
        let deadline = Instant::now() + self.request.ready_timeout;
        let mut pause = PROBE_BACKOFF_START;
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.update(LaunchPhase::Probing, "waiting for the app to answer", |p| {
                p.probe_attempts = attempts;
            });
            let left = deadline.saturating_duration_since(Instant::now());
            let last = match tokio::time::timeout(left, tunnel.probe()).await {
                Ok(ProbeOutcome::Ready) => return Ok(()),
                Ok(ProbeOutcome::Failed(reason)) => {
                    return Err(Error::AppFailed {
                        app: app.to_owned(),
                        reason,
                    }
                    .into());
                }
                Ok(ProbeOutcome::Tls { url, detail }) => {
                    return Err(Error::Tls { url, detail }.into());
                }
                Ok(ProbeOutcome::NotYet(reason)) => reason,
                Err(_) => "no answer".to_owned(),
            };
            tracing::debug!(attempts, reason = %last, "app not ready yet");
            if Instant::now() + pause >= deadline {
                return Err(Error::AppNotReady {
                    app: app.to_owned(),
                    after: self.request.ready_timeout,
                    last,
                }
                .into());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(PROBE_BACKOFF_MAX);
        }
    }

    async fn cancelled(&self) -> Error {
        self.update(LaunchPhase::Cancelling, "cancelling", |_| {});
        let (session, name, created, tunnel) = self.own(|o| {
            (
                o.session.clone(),
                o.name.clone(),
                o.created,
                o.tunnel.take(),
            )
        });
        if let Some(t) = tunnel {
            t.close();
        }
        let mut destroyed = false;
        if let Some(s) = &session
            && (created || self.request.destroy_reused_on_cancel)
        {
            destroyed = self.destroy(s).await;
        }
        let err = Error::LaunchCancelled {
            session: name.or(session),
            destroyed,
        };
        self.update(LaunchPhase::Cancelled, &err.to_string(), |_| {});
        err
    }

    async fn failed(&self, err: Error) -> Error {
        let (session, created, tunnel) =
            self.own(|o| (o.session.clone(), o.created, o.tunnel.take()));
        if let Some(t) = tunnel {
            t.close();
        }
        // A session that already ended needs no destroy.
        let ended = matches!(err, Error::SessionEnded { .. });
        if let Some(s) = &session
            && created
            && !ended
            && self.request.destroy_created_on_failure
        {
            self.destroy(s).await;
        }
        self.update(LaunchPhase::Failed, &err.to_string(), |_| {});
        err
    }

    /// Destroy gracefully, then forcibly if the graceful call fails.
    async fn destroy(&self, session: &str) -> bool {
        match self.client.destroy_session(session, false).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(code = e.code(), "destroy failed; retrying forced");
                self.client.destroy_session(session, true).await.is_ok()
            }
        }
    }

    /// Keep the accepted create request in the launch history. A history that cannot be
    /// written is logged, never a reason to fail the launch.
    async fn record(&self, session_id: &str, spec: &CreateSession) {
        let Some(sink) = self.request.record.clone() else {
            return;
        };
        let record = LaunchRecord::new(&sink.owner, session_id, spec, self.request.app.as_deref());
        let history = sink.history;
        match crate::offload::blocking(move || history.record(record)).await {
            Ok(None) => {}
            Ok(Some(warning)) => tracing::warn!("{warning}"),
            Err(e) => tracing::warn!(code = e.code(), "the launch was not recorded: {e}"),
        }
    }

    fn own<T>(&self, f: impl FnOnce(&mut Owned) -> T) -> T {
        let mut guard = self.owned.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    fn update(&self, phase: LaunchPhase, message: &str, f: impl FnOnce(&mut LaunchProgress)) {
        let elapsed = self.started.elapsed();
        self.progress.send_modify(|p| {
            p.phase = phase;
            p.elapsed = elapsed;
            p.message = message.to_owned();
            f(p);
        });
    }
}
