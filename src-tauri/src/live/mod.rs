//! What the running app keeps about sessions: per-profile watchers that push
//! `sessions-changed`, launches in flight that push `launch-progress`, open tunnels with their
//! notebook windows, and the notifications sent. The UI never polls; it is told.
//!
//! - [`views`]: the event payloads
//! - [`watcher`]: one task per watched profile (list, diff, notify, tray)
//! - [`launches`]: launch / open / cancel, and what happens when a launch ends
//! - [`notebooks`]: notebook windows (label, navigation, close behaviour, status page)
//! - [`notify`]: desktop notifications, logged (the last few kept for tests)
//! - [`quick_start`]: the one-click launch shared by the tray and the launcher UI
//! - [`terminate`]: ending a session from the app

pub mod launches;
pub mod notebooks;
pub mod notify;
pub mod quick_start;
pub mod terminate;
pub mod views;
pub mod watcher;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bai_core::launch::AppTunnel;
use bai_core::launch::launcher::LaunchCanceller;

use self::notify::SentNotification;
use self::views::{LaunchView, SessionsSnapshot};

/// A tunnel the app holds open, and the windows showing it.
#[derive(Debug, Clone)]
pub struct OpenTunnel {
    pub profile_id: String,
    pub profile_name: String,
    pub session_id: String,
    pub session_name: String,
    pub app: String,
    pub tunnel: Arc<dyn AppTunnel>,
    /// Labels of the notebook windows on this tunnel.
    pub windows: HashSet<String>,
    /// Started by quick start (so quick start shows it again instead of launching).
    pub quick_start: bool,
}

/// A launch in flight, or one that ended recently (kept so a progress view that opens late can
/// still show its result; see [`Live::finish_launch`]).
#[derive(Debug, Clone)]
pub struct LaunchEntry {
    pub canceller: LaunchCanceller,
    pub last: LaunchView,
    /// When it ended; `None` while it runs.
    pub ended: Option<Instant>,
}

impl LaunchEntry {
    pub fn running(&self) -> bool {
        self.ended.is_none()
    }
}

/// Ended launches kept for a late progress view: at most this many...
pub const KEPT_ENDED_LAUNCHES: usize = 16;
/// ...and none older than this.
pub const KEPT_ENDED_FOR: Duration = Duration::from_secs(10 * 60);
/// Notifications kept (newest last) for tests and diagnostics; older ones are dropped.
pub const KEPT_NOTIFICATIONS: usize = 32;

/// How many of each thing the app holds: memory over a day of use stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LiveCounts {
    pub watchers: usize,
    pub snapshots: usize,
    /// Launches still running.
    pub running_launches: usize,
    /// Ended launches kept for their result (at most [`KEPT_ENDED_LAUNCHES`]).
    pub ended_launches: usize,
    pub tunnels: usize,
    pub ending: usize,
    pub notifications: usize,
}

/// A watcher task, stopped by dropping its handle.
#[derive(Debug)]
pub struct WatcherHandle {
    pub task: tauri::async_runtime::JoinHandle<()>,
    pub wake: Arc<tokio::sync::Notify>,
}

impl Drop for WatcherHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The live part of the app state. Every lock guards one map and is held only for plain map
/// operations (never across an await), so a poisoned lock still holds consistent data.
#[derive(Debug, Default)]
pub struct Live {
    watchers: Mutex<HashMap<String, WatcherHandle>>,
    /// The profile the launcher shows (watched while shown).
    visible: Mutex<Option<String>>,
    snapshots: Mutex<HashMap<String, SessionsSnapshot>>,
    launches: Mutex<HashMap<String, LaunchEntry>>,
    /// Keyed by notebook window base label (`notebook-<session>-<app>`).
    tunnels: Mutex<HashMap<String, OpenTunnel>>,
    /// Sessions this app is terminating: their end is not news to notify about.
    ending: Mutex<HashSet<String>>,
    notifications: Mutex<VecDeque<SentNotification>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Live {
    pub fn watchers(&self) -> MutexGuard<'_, HashMap<String, WatcherHandle>> {
        lock(&self.watchers)
    }
    pub fn visible(&self) -> MutexGuard<'_, Option<String>> {
        lock(&self.visible)
    }
    pub fn snapshots(&self) -> MutexGuard<'_, HashMap<String, SessionsSnapshot>> {
        lock(&self.snapshots)
    }
    pub fn launches(&self) -> MutexGuard<'_, HashMap<String, LaunchEntry>> {
        lock(&self.launches)
    }
    pub fn tunnels(&self) -> MutexGuard<'_, HashMap<String, OpenTunnel>> {
        lock(&self.tunnels)
    }
    pub fn ending(&self) -> MutexGuard<'_, HashSet<String>> {
        lock(&self.ending)
    }
    /// The last [`KEPT_NOTIFICATIONS`] notifications sent, oldest first.
    pub fn notifications(&self) -> Vec<SentNotification> {
        lock(&self.notifications).iter().cloned().collect()
    }

    /// Keep a sent notification, dropping the oldest past [`KEPT_NOTIFICATIONS`].
    pub fn record_notification(&self, n: SentNotification) {
        let mut list = lock(&self.notifications);
        while list.len() >= KEPT_NOTIFICATIONS {
            list.pop_front();
        }
        list.push_back(n);
    }

    /// Mark a launch ended with its final view, and forget ended launches past the bounds
    /// ([`KEPT_ENDED_LAUNCHES`], [`KEPT_ENDED_FOR`]). Running launches are never dropped.
    pub fn finish_launch(&self, view: &LaunchView) {
        self.finish_launch_at(view, Instant::now());
    }

    fn finish_launch_at(&self, view: &LaunchView, now: Instant) {
        let mut launches = self.launches();
        if let Some(e) = launches.get_mut(&view.launch_id) {
            e.last = view.clone();
            e.ended = Some(now);
        }
        prune_ended(&mut launches, |e| e.ended, now);
    }

    /// Whether any launch on `profile_id` is still running (its profile is watched meanwhile).
    pub fn running_launch_profiles(&self) -> HashSet<String> {
        self.launches()
            .values()
            .filter(|l| l.running())
            .map(|l| l.last.profile_id.clone())
            .collect()
    }

    /// What the app holds now.
    pub fn counts(&self) -> LiveCounts {
        let (running, ended) = {
            let l = self.launches();
            let running = l.values().filter(|e| e.running()).count();
            (running, l.len() - running)
        };
        LiveCounts {
            watchers: self.watchers().len(),
            snapshots: self.snapshots().len(),
            running_launches: running,
            ended_launches: ended,
            tunnels: self.tunnels().len(),
            ending: self.ending().len(),
            notifications: lock(&self.notifications).len(),
        }
    }

    /// Whether any notebook window shows this session.
    pub fn is_open(&self, session_id: &str) -> bool {
        self.tunnels()
            .values()
            .any(|t| t.session_id == session_id && !t.windows.is_empty())
    }

    /// Close every tunnel (app exit). Windows are going away with the app.
    pub fn close_all_tunnels(&self) -> Vec<OpenTunnel> {
        let all: Vec<OpenTunnel> = self.tunnels().drain().map(|(_, t)| t).collect();
        for t in &all {
            t.tunnel.close();
        }
        all
    }
}

/// Drop ended launches older than [`KEPT_ENDED_FOR`], then the oldest past
/// [`KEPT_ENDED_LAUNCHES`]. Running ones (`ended` gives `None`) are kept.
fn prune_ended<T>(
    launches: &mut HashMap<String, T>,
    ended: impl Fn(&T) -> Option<Instant>,
    now: Instant,
) {
    launches
        .retain(|_, e| ended(e).is_none_or(|t| now.saturating_duration_since(t) < KEPT_ENDED_FOR));
    let mut by_age: Vec<(Instant, String)> = launches
        .iter()
        .filter_map(|(id, e)| ended(e).map(|t| (t, id.clone())))
        .collect();
    if by_age.len() > KEPT_ENDED_LAUNCHES {
        by_age.sort();
        let excess = by_age.len() - KEPT_ENDED_LAUNCHES;
        for (_, id) in by_age.into_iter().take(excess) {
            launches.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_launches_are_kept_only_for_a_while_and_only_a_few() {
        let start = Instant::now();
        let mut m: HashMap<String, Option<Instant>> = HashMap::new();
        m.insert("running".into(), None);
        for i in 0..40u64 {
            m.insert(format!("ended-{i}"), Some(start + Duration::from_secs(i)));
        }
        prune_ended(&mut m, |e| *e, start + Duration::from_secs(40));
        assert_eq!(m.len(), KEPT_ENDED_LAUNCHES + 1);
        assert!(m.contains_key("running") && m.contains_key("ended-39"));
        assert!(!m.contains_key("ended-0"), "the oldest go first");

        prune_ended(
            &mut m,
            |e| *e,
            start + KEPT_ENDED_FOR + Duration::from_secs(100),
        );
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["running"],
            "all ended ones expired"
        );
    }

    #[test]
    fn the_notification_list_is_bounded() {
        let live = Live::default();
        for i in 0..100 {
            live.record_notification(SentNotification {
                kind: notify::NotificationKind::LaunchFailed,
                title: "Launch failed".into(),
                body: format!("{i}"),
            });
        }
        let kept = live.notifications();
        assert_eq!(kept.len(), KEPT_NOTIFICATIONS);
        assert_eq!(kept.last().map(|n| n.body.as_str()), Some("99"));
        assert_eq!(live.counts().notifications, KEPT_NOTIFICATIONS);
    }
}
