//! The launch history as the app shows it: a profile's recent launches, which of them ended
//! (so "Launch again" is offered), clearing it, and launching one again through the same
//! launch path as any other ([`Target::Again`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::SessionService;
use super::launches::Target;
use crate::Error;
use crate::client::StatusPhase;
use crate::launch::history::{self, HistorySink, LaunchHistory, LaunchRecord};
use crate::profile::Profile;

/// One recorded launch, for the "Recent" list and the tray.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentLaunch {
    pub session_name: String,
    pub session_id: String,
    pub launched_at: String,
    pub image: String,
    pub app: Option<String>,
    pub resources: BTreeMap<String, Value>,
    pub project: String,
    pub resource_group: Option<String>,
    pub mounts: Vec<String>,
    /// The variables' names only (their values stay in the history file).
    pub environ: Vec<String>,
    /// The session has ended (or is no longer listed): it can be launched again.
    pub ended: bool,
}

/// The `launch_history` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub profile_id: String,
    /// Newest first.
    pub launches: Vec<RecentLaunch>,
    /// Set when a damaged history file was set aside.
    pub warning: Option<String>,
}

impl RecentLaunch {
    fn new(r: &LaunchRecord, ended: bool) -> Self {
        RecentLaunch {
            session_name: r.session_name.clone(),
            session_id: r.session_id.clone(),
            launched_at: r.launched_at.clone(),
            image: r.request.image.clone(),
            app: r.app.clone(),
            resources: r.request.resources.clone(),
            project: r.request.group.clone(),
            resource_group: r.request.scaling_group.clone(),
            mounts: r.request.mounts.clone(),
            environ: r.request.environ.keys().cloned().collect(),
            ended,
        }
    }
}

impl SessionService {
    /// The history of this service's config folder.
    pub fn launch_history_store(&self) -> LaunchHistory {
        LaunchHistory::new(self.inner.profiles.dir())
    }

    pub(super) fn history_sink(&self, profile: &Profile) -> HistorySink {
        HistorySink::new(
            self.launch_history_store(),
            history::profile_owner(&profile.id),
        )
    }

    pub(super) async fn recorded_launch(
        &self,
        profile_id: &str,
        session: &str,
    ) -> Result<LaunchRecord, Error> {
        let store = self.launch_history_store();
        let owner = history::profile_owner(profile_id);
        let session = session.to_owned();
        crate::offload::blocking(move || store.find(&owner, &session)).await
    }

    /// Names and ids of `profile_id`'s sessions that have not ended, by the last list read.
    fn live_sessions(&self, profile_id: &str) -> Vec<String> {
        self.inner
            .maps
            .snapshots()
            .get(profile_id)
            .map(|s| {
                s.sessions
                    .iter()
                    .filter(|v| v.phase != StatusPhase::Ended)
                    .flat_map(|v| [v.name.clone(), v.id.clone()])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `profile_id`'s recorded launches, newest first, each marked ended or not.
    pub async fn launch_history(&self, profile_id: &str) -> Result<HistoryView, Error> {
        let profile = self.profile(profile_id).await?;
        let store = self.launch_history_store();
        let owner = history::profile_owner(&profile.id);
        let loaded = crate::offload::blocking(move || store.list(&owner)).await?;
        let live = self.live_sessions(&profile.id);
        let ended: Vec<&LaunchRecord> = history::ended(&loaded.launches, &live, usize::MAX);
        let launches = loaded
            .launches
            .iter()
            .map(|r| RecentLaunch::new(r, ended.iter().any(|e| std::ptr::eq(*e, r))))
            .collect();
        Ok(HistoryView {
            profile_id: profile.id,
            launches,
            warning: loaded.warning,
        })
    }

    /// The last `limit` launches of `profile_id` whose session ended (the tray's "Launch
    /// again" menu). Reads a small file; an unreadable one gives none.
    pub fn recent_ended(&self, profile_id: &str, limit: usize) -> Vec<RecentLaunch> {
        let store = self.launch_history_store();
        let loaded = match store.list(&history::profile_owner(profile_id)) {
            Ok(l) => l,
            Err(e) => {
                tracing::debug!(code = e.code(), "no launch history: {e}");
                return Vec::new();
            }
        };
        let live = self.live_sessions(profile_id);
        history::ended(&loaded.launches, &live, limit)
            .into_iter()
            .map(|r| RecentLaunch::new(r, true))
            .collect()
    }

    /// Forget `profile_id`'s launches; returns how many.
    pub async fn clear_launch_history(&self, profile_id: &str) -> Result<usize, Error> {
        let profile = self.profile(profile_id).await?;
        let store = self.launch_history_store();
        let owner = history::profile_owner(&profile.id);
        crate::offload::blocking(move || store.clear(Some(&owner))).await
    }

    /// Launch `session` (name or id) again as it was recorded: the same create request, the
    /// same name, the same app. Returns the launch's id; progress follows as events.
    pub async fn launch_again(&self, profile_id: &str, session: &str) -> Result<String, Error> {
        let target = Target::Again {
            session: session.to_owned(),
        };
        self.start_launch(profile_id, target, false).await
    }
}
