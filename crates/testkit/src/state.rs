//! State shared by both listeners and the control handle.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, broadcast};

use crate::config::{Config, Schedule, User};
use crate::control::{FaultRule, RecordedRequest};
use crate::control_auth::ControlToken;
use crate::events::SessionEvent;
use crate::jupyter::Jupyter;
use crate::sessions::{Session, Status};

pub type AppState = Arc<Shared>;

/// Who a request acts as, after HMAC or login-session authentication.
#[derive(Debug, Clone)]
pub struct Caller {
    pub access_key: String,
    pub user: User,
}

/// Marks a manager route reached through the webserver's `/func`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViaWebserver;

#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    clock_offset: AtomicI64,
    world: Mutex<World>,
    pub events: broadcast::Sender<SessionEvent>,
    /// Woken on every control change so held sessions re-check.
    pub changed: Notify,
    pub jupyter: Jupyter,
    /// The sessions' sshd servers and homes (the `sshd` app).
    pub sshd: crate::sshd::Sshds,
    /// Required on every `/__testkit` request; fresh for each start.
    pub control_token: ControlToken,
}

/// One webserver login, as the manager's `login_sessions` row keeps it.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub id: String,
    pub email: String,
    pub client_type: Option<uuid::Uuid>,
}

/// Mutable state; the lock is never held across an await.
#[derive(Debug, Default)]
pub struct World {
    pub sessions: Vec<Session>,
    /// Login-session id → access key.
    pub logins: HashMap<String, String>,
    /// The live logins in creation order (oldest first), for `max_concurrent_logins`.
    pub login_order: Vec<LoginRecord>,
    pub faults: Vec<FaultRule>,
    pub schedule: Schedule,
    pub hold_new: Option<Status>,
    pub sse_break_after: Option<usize>,
    pub reject_first: u32,
    pub drop_after_bytes: Option<u64>,
    pub app_targets: HashMap<String, SocketAddr>,
    pub requests: Vec<RecordedRequest>,
    /// Access key → its registered SSH key pair (`/auth/ssh-keypair`).
    pub ssh_keypairs: HashMap<String, crate::sshd::SshKeypair>,
    /// The idle checkers that run, and what they count from per session.
    pub idle_policy: crate::idle::IdlePolicy,
    pub idle: crate::idle::IdleTracks,
    /// Seconds the idle checkers' clock is ahead of the real one.
    pub idle_clock_secs: i64,
}

impl Shared {
    pub fn new(config: Config) -> Self {
        let (events, _) = broadcast::channel(1024);
        let world = World {
            schedule: config.schedule.clone(),
            app_targets: config.app_targets.clone(),
            ..World::default()
        };
        Shared {
            jupyter: Jupyter::new(config.jupyter),
            sshd: crate::sshd::Sshds::new(),
            config,
            clock_offset: AtomicI64::new(0),
            world: Mutex::new(world),
            events,
            changed: Notify::new(),
            control_token: ControlToken::generate(),
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.clock_offset.load(Ordering::Relaxed))
    }

    pub fn set_clock_offset(&self, secs: i64) {
        self.clock_offset.store(secs, Ordering::Relaxed);
    }

    pub fn caller_for(&self, access_key: &str) -> Option<Caller> {
        self.config.find_keypair(access_key).map(|(u, k)| Caller {
            access_key: k.access_key.clone(),
            user: u.clone(),
        })
    }

    pub fn notify_changed(&self) {
        self.changed.notify_waiters();
    }
}
