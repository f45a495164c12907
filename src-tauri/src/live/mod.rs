//! What the running app keeps about sessions: per-profile watchers that push
//! `sessions-changed`, launches in flight that push `launch-progress`, open tunnels with their
//! notebook windows, and the notifications sent. The UI never polls; it is told.
//!
//! - [`views`]: the event payloads
//! - [`watcher`]: one task per watched profile (list, diff, notify, tray)
//! - [`launches`]: launch / open / cancel, and what happens when a launch ends
//! - [`notebooks`]: notebook windows (label, navigation, close behaviour, status page)
//! - [`notify`]: desktop notifications, recorded for tests and the log
//! - [`quick_start`]: the one-click launch shared by the tray and the launcher UI
//! - [`terminate`]: ending a session from the app

pub mod launches;
pub mod notebooks;
pub mod notify;
pub mod quick_start;
pub mod terminate;
pub mod views;
pub mod watcher;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

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

/// A launch in flight.
#[derive(Debug, Clone)]
pub struct LaunchEntry {
    pub canceller: LaunchCanceller,
    pub last: LaunchView,
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
    notifications: Mutex<Vec<SentNotification>>,
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
    pub fn notifications(&self) -> MutexGuard<'_, Vec<SentNotification>> {
        lock(&self.notifications)
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
