//! The session service: one owner of what a running front end keeps about sessions — the
//! watched profiles and their lists, the launches in flight, the open tunnels and which windows
//! show them — publishing typed [`LiveEvent`]s that the front end's parts subscribe to. The
//! desktop app's launcher window, tray, notifications and notebook windows each follow the
//! events; its commands only call the service. Nothing here knows about windows or Tauri.
//!
//! - [`views`]: what events carry (camelCase JSON), and [`Problem`]
//! - [`events`]: [`LiveEvent`] and [`Notice`]
//! - `state`: the maps, with the lock order in one place
//! - `watch`: one task per watched profile (list, reconcile, what ended)
//! - `launches`: start, follow, cancel; `tunnels`: open tunnels and their windows
//! - `terminate`, `quick_start`: ending a session; the one-click launch
//! - `idle_watch`: idle and spend warnings after each list, "Keep alive" and "Keep"

pub mod events;
mod history;
mod idle_watch;
mod launches;
mod open_tunnel;
mod quick_start;
mod state;
mod terminate;
mod tunnels;
pub mod views;
mod watch;

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use bai_secrets::SecretStore;
use tokio::sync::broadcast;

use crate::Error;
use crate::launch::TunnelOpener;
use crate::profile::store::Profiles;
use crate::profile::{Profile, ProfileStore};

pub use events::{LiveEvent, Notice, NoticeKind, NoticeSession};
pub use history::{HistoryView, RecentLaunch};
pub use launches::{LaunchInput, Target};
pub use open_tunnel::{OpenTunnel, tunnel_key};
pub use quick_start::QUICK_START_NAME;
pub use state::{KEPT_ENDED_FOR, KEPT_ENDED_LAUNCHES, KEPT_NOTICES, LiveCounts};
pub use views::{LaunchView, Problem, QuickStartView, SessionView, SessionsSnapshot};
pub use watch::{Listed, Refresh, fetch, reconcile};

/// How a front end words a core error in what the service publishes (a snapshot's or a
/// launch's error): the same code, its own next step.
pub type Wording = fn(&Error) -> Problem;

/// Events a slow subscriber may fall behind by before it misses some (it is told, and shows
/// the current state again).
const EVENT_BACKLOG: usize = 1024;

/// How the service runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How often a watched profile is listed (it is also listed at once after the app acts).
    pub refresh: Duration,
    pub wording: Wording,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            refresh: Duration::from_secs(3),
            wording: Problem::neutral,
        }
    }
}

/// The session service. Cheap to clone; every clone is the same service.
#[derive(Debug, Clone)]
pub struct SessionService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    profiles: ProfileStore,
    secrets: Arc<dyn SecretStore>,
    opener: Arc<dyn TunnelOpener>,
    options: Options,
    /// Where tasks run when the caller is not on a runtime (a front end's setup code).
    runtime: OnceLock<tokio::runtime::Handle>,
    maps: state::Maps,
    events: broadcast::Sender<LiveEvent>,
    next_launch: AtomicU64,
}

impl SessionService {
    pub fn new(
        profiles: ProfileStore,
        secrets: Arc<dyn SecretStore>,
        opener: Arc<dyn TunnelOpener>,
        options: Options,
    ) -> Self {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        SessionService {
            inner: Arc::new(Inner {
                profiles,
                secrets,
                opener,
                options,
                runtime: OnceLock::new(),
                maps: state::Maps::default(),
                events,
                next_launch: AtomicU64::new(1),
            }),
        }
    }

    /// Run the service's tasks on `handle` when it is called from outside a runtime. Set once;
    /// later calls are ignored.
    pub fn set_runtime(&self, handle: tokio::runtime::Handle) {
        let _ = self.inner.runtime.set(handle);
    }

    /// Events from now on. A receiver that falls more than a thousand events behind gets
    /// `Lagged` and should show the current state again.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.inner.events.subscribe()
    }

    /// What the service holds now.
    pub fn counts(&self) -> LiveCounts {
        self.inner.maps.counts()
    }

    /// The last [`KEPT_NOTICES`] notices given, oldest first.
    pub fn notices(&self) -> Vec<Notice> {
        self.inner.maps.notices()
    }

    /// Stop everything: close every tunnel, stop the watchers (the front end is quitting).
    /// Sessions keep running. Returns the tunnels that were open.
    pub fn shut_down(&self) -> Vec<OpenTunnel> {
        let all: Vec<OpenTunnel> = self.inner.maps.tunnels().drain().map(|(_, t)| t).collect();
        for t in &all {
            t.tunnel.close();
        }
        self.inner.maps.watchers().clear();
        all
    }

    fn publish(&self, event: LiveEvent) {
        if let LiveEvent::Notice(n) = &event {
            tracing::info!(kind = ?n.kind, title = %n.title, "notice");
            self.inner.maps.record_notice(n.clone());
        }
        // No subscriber is fine (a front end that shows nothing of it).
        let _ = self.inner.events.send(event);
    }

    fn notice(&self, kind: NoticeKind, title: String, body: String) {
        self.publish(LiveEvent::Notice(Notice {
            kind,
            title,
            body,
            session: None,
        }));
    }

    fn word(&self, e: &Error) -> Problem {
        (self.inner.options.wording)(e)
    }

    fn downgrade(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    fn from_weak(weak: &Weak<Inner>) -> Option<SessionService> {
        weak.upgrade().map(|inner| SessionService { inner })
    }

    fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match (
            tokio::runtime::Handle::try_current(),
            self.inner.runtime.get(),
        ) {
            (Ok(h), _) => h.spawn(fut),
            (Err(_), Some(h)) => h.spawn(fut),
            // A programming error of the front end, not a user's: say what to do.
            (Err(_), None) => {
                panic!("the session service was used outside a tokio runtime without `set_runtime`")
            }
        }
    }

    /// The profiles as now on disk, read off the runtime's threads (the store takes a file
    /// lock that another process may hold for a moment).
    async fn load_profiles(&self) -> Result<Profiles, Error> {
        let store = self.inner.profiles.clone();
        crate::offload::blocking(move || store.load()).await
    }

    async fn profile(&self, profile_id: &str) -> Result<Profile, Error> {
        Ok(self.load_profiles().await?.get(profile_id)?.clone())
    }

    /// A client for `profile`, its secrets read once, off the runtime's threads.
    async fn connect(&self, profile: &Profile) -> Result<crate::client::Client, Error> {
        crate::account::connect_shared(profile, self.inner.secrets.clone()).await
    }
}
