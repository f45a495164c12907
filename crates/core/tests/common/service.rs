//! The session service with a stand-in front end, against the testkit: the fixture and the
//! event helpers the service's flow tests share.

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bai_core::launch::ReusePolicy;
use bai_core::live::{LaunchInput, LiveEvent, Options, Problem, SessionService, Target};
use bai_core::profile::{ProfileDraft, ProfileStore};
use bai_secrets::{MemoryStore, Secret, SecretKind, SecretRef, SecretStore};
use bai_testkit::{Config, Schedule, TestKit};
use tokio::sync::broadcast;

use super::echo::{EchoOpener, echo_server};
use super::*;

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Fixture {
    pub kit: TestKit,
    pub svc: SessionService,
    pub profile: String,
    /// Tunnels the service closed.
    pub closed: Arc<AtomicU32>,
    pub _dir: tempfile::TempDir,
}

pub async fn fixture() -> Fixture {
    let kit = kit_with(Config {
        schedule: Schedule::uniform(Duration::from_millis(30)),
        ..Config::default()
    })
    .await;
    let echo = echo_server().await;
    kit.control().set_app_target("jupyter", echo);
    kit.control().set_app_target("jupyterlab", echo);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProfileStore::new(dir.path());
    let profile = store
        .add(
            ProfileDraft {
                name: "Lab".into(),
                endpoint: kit.manager_url(),
                access_key: Some(ADMIN_AK.into()),
                ..ProfileDraft::default()
            },
            true,
        )
        .expect("profile");
    let secrets = Arc::new(MemoryStore::new());
    secrets
        .set(
            &SecretRef::new(&profile.id, SecretKind::SecretKey),
            &Secret::new(ADMIN_SK),
        )
        .expect("secret");
    let opener = EchoOpener::default();
    let closed = opener.closed.clone();
    let svc = SessionService::new(
        store,
        secrets,
        Arc::new(opener),
        Options {
            refresh: Duration::from_millis(100),
            ..Options::default()
        },
    );
    Fixture {
        kit,
        svc,
        profile: profile.id,
        closed,
        _dir: dir,
    }
}

/// What the stand-in front end saw, in order.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// A front end like the app's notebook windows: a "window" `w-<session>` opens on each ready
/// tunnel (or fails to, when `refuse` is set), goes to the status page when the session ends on
/// the server, closes when the app ends it.
pub fn front_end(svc: &SessionService, refuse: bool) -> Seen {
    let seen: Seen = Arc::default();
    let mut rx = svc.subscribe();
    let (svc, log) = (svc.clone(), seen.clone());
    tokio::spawn(async move {
        while let Ok(event) = rx.recv().await {
            let line = match event {
                LiveEvent::TunnelUp { launch_id, tunnel } if refuse => {
                    svc.tunnel_unusable(
                        &launch_id,
                        &tunnel.key(),
                        Problem::new("window-failed", "could not open the notebook window"),
                    );
                    format!("refused {}", tunnel.session_name)
                }
                LiveEvent::TunnelUp { tunnel, .. } => {
                    assert!(svc.window_opened(&tunnel.key(), &format!("w-{}", tunnel.session_id)));
                    format!("window {}", tunnel.session_name)
                }
                LiveEvent::Focus(t) => format!("focus {}", t.session_name),
                LiveEvent::TunnelLost(t) => format!("status page {}", t.session_name),
                LiveEvent::TunnelClosed(t) => {
                    for w in &t.windows {
                        svc.window_closed(w);
                    }
                    format!("closed {}", t.session_name)
                }
                LiveEvent::Notice(n) => format!("notice {:?} {}", n.kind, n.body),
                _ => continue,
            };
            log.lock().unwrap().push(line);
        }
    });
    seen
}

/// Wait for the first event `pick` accepts.
pub async fn next<T>(
    rx: &mut broadcast::Receiver<LiveEvent>,
    what: &str,
    pick: impl Fn(&LiveEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            let e = rx.recv().await.expect("the service is alive");
            if let Some(t) = pick(&e) {
                return t;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
}

/// Wait until `cond` holds (state the service reaches through its own tasks).
pub async fn until(what: &str, cond: impl Fn() -> bool) {
    tokio::time::timeout(WAIT, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never: {what}"));
}

pub fn form(name: &str) -> Target {
    Target::Create {
        input: Box::new(LaunchInput {
            image: IMAGE.into(),
            name: Some(name.into()),
            ..LaunchInput::default()
        }),
        reuse: ReusePolicy::CreateNew,
    }
}

/// The launch's final view, from its events.
pub async fn ended(
    rx: &mut broadcast::Receiver<LiveEvent>,
    launch: &str,
) -> bai_core::live::LaunchView {
    next(rx, "the launch's end", |e| match e {
        LiveEvent::LaunchProgress(v) if v.launch_id == launch && v.phase.is_final() => {
            Some(v.clone())
        }
        _ => None,
    })
    .await
}

pub fn seen(s: &Seen) -> Vec<String> {
    s.lock().unwrap().clone()
}
