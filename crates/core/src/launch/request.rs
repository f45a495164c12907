//! What to launch and how patient to be.

use std::time::Duration;

use super::history::HistorySink;
use crate::client::{CreateSession, FollowOptions};

/// What to do when a session of the requested name already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReusePolicy {
    /// Fail with "name taken" rather than attach to someone's running work by accident.
    #[default]
    CreateNew,
    /// Attach to the existing session of that name (same image); it is not ours to destroy.
    ReuseIfExists,
}

/// Which session the launch is about.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionTarget {
    /// Create one. An empty `name` gets a generated one (`bai-xxxxxxxx`); `enqueue_only` and
    /// `reuse_if_exists` are set by the launcher from the policy.
    Create {
        spec: Box<CreateSession>,
        reuse: ReusePolicy,
    },
    /// An existing session (name or id): nothing is created, and nothing destroyed unless
    /// [`LaunchRequest::destroy_reused_on_cancel`] says so.
    Existing(String),
}

/// One launch. Build with [`LaunchRequest::create`] or [`LaunchRequest::existing`].
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    pub target: SessionTarget,
    /// The app to open; `None` picks `jupyterlab`, else `jupyter`.
    pub app: Option<String>,
    /// Limit for reaching RUNNING (queueing and image pulls included).
    pub start_timeout: Duration,
    /// Limit for the app to answer through the tunnel once the session runs.
    pub ready_timeout: Duration,
    /// How the session is watched (SSE idle limit, poll interval).
    pub follow: FollowOptions,
    /// Destroy a reused session too when the launch is cancelled.
    pub destroy_reused_on_cancel: bool,
    /// Destroy a session this launch created when the launch fails (not only on cancel), so a
    /// failed launch leaves nothing running that the user did not ask for.
    pub destroy_created_on_failure: bool,
    /// Where to record the create request once the server accepts it (the launch history).
    pub record: Option<HistorySink>,
    /// This launch repeats a recorded one: a name still taken is said as such.
    pub again: bool,
}

impl LaunchRequest {
    pub fn create(spec: CreateSession, reuse: ReusePolicy) -> Self {
        Self::with_target(SessionTarget::Create {
            spec: Box::new(spec),
            reuse,
        })
    }

    pub fn existing(name_or_id: impl Into<String>) -> Self {
        Self::with_target(SessionTarget::Existing(name_or_id.into()))
    }

    pub fn app(mut self, app: impl Into<String>) -> Self {
        self.app = Some(app.into());
        self
    }

    /// Record the create request in the launch history once the server accepts it.
    pub fn recorded_in(mut self, sink: HistorySink) -> Self {
        self.record = Some(sink);
        self
    }

    fn with_target(target: SessionTarget) -> Self {
        LaunchRequest {
            target,
            app: None,
            start_timeout: Duration::from_secs(30 * 60),
            ready_timeout: Duration::from_secs(120),
            follow: FollowOptions::default(),
            destroy_reused_on_cancel: false,
            destroy_created_on_failure: true,
            record: None,
            again: false,
        }
    }
}

/// A fresh valid session name (`bai-` and 8 hex digits).
pub fn generated_name() -> String {
    format!("bai-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}
