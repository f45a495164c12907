//! The service's maps. The lock order is simple and kept here: every lock guards one map and
//! is held only for plain map operations, never across an `await` and never while another of
//! these locks is held (take what you need, drop the guard, then take the next). So there is
//! no order to get wrong, and a poisoned lock still holds consistent data.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::events::Notice;
use super::open_tunnel::OpenTunnel;
use super::views::{LaunchView, SessionsSnapshot};
use crate::idle::{IdleGuard, IdleSettings};
use crate::launch::launcher::LaunchCanceller;

/// A launch in flight, or one that ended recently (kept so a progress view that opens late can
/// still show its result).
#[derive(Debug, Clone)]
pub(crate) struct LaunchEntry {
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
/// Notices kept (newest last) for tests and diagnostics; older ones are dropped.
pub const KEPT_NOTICES: usize = 32;

/// How many of each thing the service holds: memory over a day of use stays bounded.
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
    pub notices: usize,
}

/// A watcher task, stopped by dropping its handle.
#[derive(Debug)]
pub(crate) struct WatcherHandle {
    pub task: JoinHandle<()>,
    pub wake: Arc<tokio::sync::Notify>,
}

impl Drop for WatcherHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Default)]
pub(crate) struct Maps {
    watchers: Mutex<HashMap<String, WatcherHandle>>,
    /// The profile a front end shows (watched while shown).
    visible: Mutex<Option<String>>,
    snapshots: Mutex<HashMap<String, SessionsSnapshot>>,
    launches: Mutex<HashMap<String, LaunchEntry>>,
    /// Keyed by [`OpenTunnel::key`].
    tunnels: Mutex<HashMap<String, OpenTunnel>>,
    /// Sessions the app is ending: their end is not news.
    ending: Mutex<HashSet<String>>,
    notices: Mutex<VecDeque<Notice>>,
    /// Per watched profile: which idle warnings were given.
    idle_guards: Mutex<HashMap<String, IdleGuard>>,
    idle_settings: Mutex<IdleSettings>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Maps {
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
    pub fn idle_guards(&self) -> MutexGuard<'_, HashMap<String, IdleGuard>> {
        lock(&self.idle_guards)
    }
    pub fn idle_settings(&self) -> MutexGuard<'_, IdleSettings> {
        lock(&self.idle_settings)
    }
    pub fn notices(&self) -> Vec<Notice> {
        lock(&self.notices).iter().cloned().collect()
    }

    /// Keep a notice, dropping the oldest past [`KEPT_NOTICES`].
    pub fn record_notice(&self, n: Notice) {
        let mut list = lock(&self.notices);
        while list.len() >= KEPT_NOTICES {
            list.pop_front();
        }
        list.push_back(n);
    }

    /// Mark a launch ended with its final view, and forget ended launches past the bounds.
    /// Running launches are never dropped.
    pub fn finish_launch(&self, view: &LaunchView) {
        let now = Instant::now();
        let mut launches = self.launches();
        if let Some(e) = launches.get_mut(&view.launch_id) {
            e.last = view.clone();
            e.ended = Some(now);
        }
        prune_ended(&mut launches, |e| e.ended, now);
    }

    /// Profiles with a launch still running (watched meanwhile).
    pub fn running_launch_profiles(&self) -> HashSet<String> {
        self.launches()
            .values()
            .filter(|l| l.running())
            .map(|l| l.last.profile_id.clone())
            .collect()
    }

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
            notices: lock(&self.notices).len(),
        }
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
    use super::super::events::NoticeKind;
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
    fn the_notice_list_is_bounded() {
        let maps = Maps::default();
        for i in 0..100 {
            maps.record_notice(Notice {
                kind: NoticeKind::LaunchFailed,
                title: "Launch failed".into(),
                body: format!("{i}"),
                session: None,
            });
        }
        let kept = maps.notices();
        assert_eq!(kept.len(), KEPT_NOTICES);
        assert_eq!(kept.last().map(|n| n.body.as_str()), Some("99"));
        assert_eq!(maps.counts().notices, KEPT_NOTICES);
    }
}
