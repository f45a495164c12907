//! Open tunnels and the windows that show them. A front end opens a window on a tunnel when
//! told ([`LiveEvent::TunnelUp`]) and reports each window it opens and closes; a tunnel closes
//! with its last window (the session keeps running).

use super::SessionService;
use super::events::{LiveEvent, NoticeKind};
use super::open_tunnel::OpenTunnel;
use super::views::Problem;
use crate::launch::LaunchPhase;

impl SessionService {
    /// Every open tunnel.
    pub fn tunnels(&self) -> Vec<OpenTunnel> {
        self.inner.maps.tunnels().values().cloned().collect()
    }

    /// The tunnel `window` shows, if any.
    pub fn tunnel_of_window(&self, window: &str) -> Option<OpenTunnel> {
        self.inner
            .maps
            .tunnels()
            .values()
            .find(|t| t.windows.contains(window))
            .cloned()
    }

    /// Whether a window shows this session.
    pub fn is_open(&self, session_id: &str) -> bool {
        self.inner
            .maps
            .tunnels()
            .values()
            .any(|t| t.session_id == session_id && !t.windows.is_empty())
    }

    /// A front end opened `window` on the tunnel `key`. False if that tunnel is gone (its
    /// session ended meanwhile): the window should then show that.
    pub fn window_opened(&self, key: &str, window: &str) -> bool {
        let mut tunnels = self.inner.maps.tunnels();
        match tunnels.get_mut(key) {
            Some(t) => {
                t.windows.insert(window.to_owned());
                true
            }
            None => false,
        }
    }

    /// A window is gone: forget it, and close the tunnel with its last window.
    pub fn window_closed(&self, window: &str) {
        let closed = {
            let mut tunnels = self.inner.maps.tunnels();
            let key = tunnels
                .iter()
                .find(|(_, t)| t.windows.contains(window))
                .map(|(k, _)| k.clone());
            match key.and_then(|k| tunnels.get_mut(&k).map(|t| (k, t))) {
                Some((k, t)) => {
                    t.windows.remove(window);
                    if t.windows.is_empty() {
                        tunnels.remove(&k)
                    } else {
                        None
                    }
                }
                None => None,
            }
        };
        if let Some(t) = closed {
            t.tunnel.close();
            tracing::info!(session = %t.session_name, "tunnel closed with its last window");
            self.wake(&t.profile_id);
        }
    }

    /// Show a session's windows again, if it has any (tray "Open", quick start). False if none.
    pub fn focus_open(&self, session_id: &str) -> bool {
        let open: Vec<OpenTunnel> = self
            .inner
            .maps
            .tunnels()
            .values()
            .filter(|t| t.session_id == session_id && !t.windows.is_empty())
            .cloned()
            .collect();
        let any = !open.is_empty();
        for t in open {
            self.publish(LiveEvent::Focus(t));
        }
        any
    }

    /// The front end could not show the tunnel of `launch_id` (its window failed to open): the
    /// tunnel is closed and the launch ends as failed, with `problem`.
    pub fn tunnel_unusable(&self, launch_id: &str, key: &str, problem: Problem) {
        let gone = self.inner.maps.tunnels().remove(key);
        if let Some(t) = &gone {
            t.tunnel.close();
        }
        let view = {
            let launches = self.inner.maps.launches();
            launches.get(launch_id).map(|e| e.last.clone())
        };
        let Some(mut view) = view else {
            return;
        };
        view.phase = LaunchPhase::Failed;
        view.message = problem.message.clone();
        view.error = Some(problem.clone());
        self.inner.maps.finish_launch(&view);
        self.notice(
            NoticeKind::LaunchFailed,
            "Launch failed".into(),
            format!("{} ({})", problem.message, view.profile_name),
        );
        self.publish(LiveEvent::LaunchProgress(view.clone()));
        self.wake(&view.profile_id);
    }

    /// Take every tunnel of a session out of the map (it ended, or is being ended).
    pub(super) fn take_session_tunnels(&self, session_id: &str) -> Vec<OpenTunnel> {
        let mut tunnels = self.inner.maps.tunnels();
        let keys: Vec<String> = tunnels
            .iter()
            .filter(|(_, t)| t.session_id == session_id)
            .map(|(k, _)| k.clone())
            .collect();
        keys.iter().filter_map(|k| tunnels.remove(k)).collect()
    }
}
