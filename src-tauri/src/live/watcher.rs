//! One task per watched profile: it lists the profile's sessions, pushes `sessions-changed` to
//! the launcher when the list changes, notices sessions that ended without the app asking
//! (notification, status page in their windows), and keeps the tray menu current.
//!
//! Watched: the profile the launcher shows, the default profile (the tray lists its
//! sessions), and every profile with an open notebook or a launch in flight. The task wakes
//! every [`refresh_interval`] and at once after the app's own actions.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bai_core::account;
use bai_core::client::{Absence, Client, SessionListing, StatusFilter, StatusPhase};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use super::notify::{self, NotificationKind};
use super::views::{SessionView, SessionsSnapshot};
use super::{WatcherHandle, notebooks};
use crate::LAUNCHER_WINDOW;
use crate::error::CommandError;
use crate::state::AppState;

/// The event the launcher listens to.
pub const SESSIONS_CHANGED: &str = "sessions-changed";
/// Overrides the refresh interval (milliseconds), for tests.
pub const REFRESH_ENV: &str = "BAI_SESSIONS_REFRESH_MS";

pub fn refresh_interval() -> Duration {
    std::env::var(REFRESH_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(3))
}

/// Show `profile_id`'s sessions in the launcher (None: no profile shown). Returns the last
/// known list at once; fresher ones follow as events.
pub fn watch<R: Runtime>(
    app: &AppHandle<R>,
    profile_id: Option<String>,
) -> Option<SessionsSnapshot> {
    let state = app.state::<AppState>();
    *state.live.visible() = profile_id.clone();
    sync(app);
    let id = profile_id?;
    wake(app, &id);
    state.live.snapshots().get(&id).cloned()
}

/// Start the watchers that are wanted and stop the others.
pub fn sync<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let mut wanted: HashSet<String> = HashSet::new();
    if let Some(v) = state.live.visible().clone() {
        wanted.insert(v);
    }
    if let Ok(loaded) = state.profiles.load() {
        if let Some(d) = loaded.default_profile() {
            wanted.insert(d.id.clone());
        }
        // A removed profile is not watched, whatever else refers to it.
        let known: HashSet<String> = loaded.list().iter().map(|p| p.id.clone()).collect();
        wanted.extend(state.live.tunnels().values().map(|t| t.profile_id.clone()));
        // Only launches still running: an ended one is no reason to keep polling its profile.
        wanted.extend(state.live.running_launch_profiles());
        wanted.retain(|id| known.contains(id));
    }
    let mut watchers = state.live.watchers();
    watchers.retain(|id, _| wanted.contains(id));
    for id in wanted {
        if watchers.contains_key(&id) {
            continue;
        }
        let wake = Arc::new(tokio::sync::Notify::new());
        let task = tauri::async_runtime::spawn(run(app.clone(), id.clone(), wake.clone()));
        watchers.insert(id, WatcherHandle { task, wake });
    }
    drop(watchers);
    // Forget lists of profiles no longer watched, so the tray shows only what is current.
    let watched: HashSet<String> = state.live.watchers().keys().cloned().collect();
    state.live.snapshots().retain(|id, _| watched.contains(id));
    crate::tray::refresh(app);
}

/// Refresh `profile_id` now (after the app changed something there).
pub fn wake<R: Runtime>(app: &AppHandle<R>, profile_id: &str) {
    if let Some(state) = app.try_state::<AppState>()
        && let Some(w) = state.live.watchers().get(profile_id)
    {
        w.wake.notify_one();
    }
}

async fn run<R: Runtime>(app: AppHandle<R>, profile_id: String, wake: Arc<tokio::sync::Notify>) {
    let interval = refresh_interval();
    let mut client: Option<Client> = None;
    loop {
        let state = app.state::<AppState>();
        let profile = match state.profiles.load().map(|l| l.get(&profile_id).cloned()) {
            Ok(Ok(p)) => p,
            // The profile is gone: nothing to watch any more.
            Ok(Err(_)) => return,
            Err(e) => {
                tracing::warn!("cannot read the profiles: {e}");
                tokio::time::sleep(interval).await;
                continue;
            }
        };
        let previous = state.live.snapshots().get(&profile_id).cloned();
        let listed = async {
            let c = match client.take() {
                Some(c) => c,
                None => account::connect(&profile, state.secrets.as_ref()).await?,
            };
            let listed = fetch(&c, previous.as_ref()).await?;
            client = Some(c);
            Ok::<_, bai_core::Error>(listed)
        }
        .await;
        let refresh = reconcile(
            previous.as_ref(),
            &profile_id,
            &profile.name,
            listed.map_err(CommandError::from),
            &|id| state.live.is_open(id),
        );
        for gone in &refresh.ended {
            session_ended(&app, &profile.name, gone);
        }
        let snapshot = refresh.snapshot;
        apply(&app, previous, snapshot);
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = wake.notified() => {}
        }
    }
}

/// A fresh listing of the caller's own sessions, with the own status of each session the
/// listing no longer holds.
pub(crate) struct Listed {
    pub listing: SessionListing,
    pub absences: Vec<(String, Absence)>,
}

/// List the caller's own sessions (every page), and ask each session a complete listing lost
/// for its own status.
pub(crate) async fn fetch(
    client: &Client,
    previous: Option<&SessionsSnapshot>,
) -> Result<Listed, bai_core::Error> {
    let listing = client.my_sessions(StatusFilter::Active).await?;
    let known = previous
        .iter()
        .flat_map(|p| p.sessions.iter().map(|s| s.id.as_str()));
    let mut absences = Vec::new();
    for id in listing.missing(known) {
        let lookup = client.session_status_record(id).await;
        absences.push((id.to_owned(), Absence::judge(&lookup)));
    }
    Ok(Listed { listing, absences })
}

/// What one refresh concluded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refresh {
    pub snapshot: SessionsSnapshot,
    /// Sessions that ended (their windows get the status page, and a notification unless the
    /// app ended them itself).
    pub ended: Vec<SessionView>,
}

/// The watcher's decision, a plain function: from the last snapshot and a fresh listing (or
/// why there is none), the new snapshot and the sessions that ended. A session has ended only
/// when its own status says so (or the server no longer knows it), after a complete listing
/// lost it, or when the listing shows it in an ended status. A failed or partial listing, a
/// transitional status (`PREEMPTED`, `RESCHEDULING`, `DEPRIORITIZING`, …) or one the app does
/// not know never ends a session: it stays listed as the server last showed it.
pub(crate) fn reconcile(
    previous: Option<&SessionsSnapshot>,
    profile_id: &str,
    profile_name: &str,
    listed: Result<Listed, CommandError>,
    is_open: &dyn Fn(&str) -> bool,
) -> Refresh {
    let prev_sessions: &[SessionView] = previous.map(|p| p.sessions.as_slice()).unwrap_or(&[]);
    let Listed { listing, absences } = match listed {
        Ok(l) => l,
        Err(e) => {
            return Refresh {
                snapshot: SessionsSnapshot {
                    profile_id: profile_id.to_owned(),
                    profile_name: profile_name.to_owned(),
                    sessions: prev_sessions.to_vec(),
                    error: Some(e),
                },
                ended: Vec::new(),
            };
        }
    };
    let mut sessions = Vec::new();
    let mut ended = Vec::new();
    for s in &listing.items {
        let view = SessionView::new(s, is_open(&s.id));
        if view.phase == StatusPhase::Ended {
            if prev_sessions.iter().any(|p| p.id == view.id) {
                ended.push(view);
            }
        } else {
            sessions.push(view);
        }
    }
    for prev in prev_sessions {
        if listing.get(&prev.id).is_some() {
            continue;
        }
        let absence = absences
            .iter()
            .find(|(id, _)| *id == prev.id)
            .map(|(_, a)| a);
        match absence {
            Some(Absence::Ended) => ended.push(prev.clone()),
            Some(Absence::Alive(rec)) => {
                sessions.push(prev.with_status(&rec.status, rec.status_info.as_deref()));
            }
            // Not asked (an incomplete listing) or not answered: keep it as it was.
            Some(Absence::Unsure) | None => sessions.push(prev.clone()),
        }
    }
    for s in &mut sessions {
        s.open = is_open(&s.id);
    }
    Refresh {
        snapshot: SessionsSnapshot {
            profile_id: profile_id.to_owned(),
            profile_name: profile_name.to_owned(),
            sessions,
            error: None,
        },
        ended,
    }
}

/// Take in a fresh snapshot: tell the launcher and the tray.
fn apply<R: Runtime>(
    app: &AppHandle<R>,
    previous: Option<SessionsSnapshot>,
    now: SessionsSnapshot,
) {
    let state = app.state::<AppState>();
    if previous.as_ref() == Some(&now) {
        return;
    }
    if let Some(e) = &now.error
        && previous.as_ref().and_then(|p| p.error.as_ref()) != Some(e)
    {
        tracing::warn!(profile = %now.profile_name, code = %e.code, "cannot list sessions: {}", e.message);
    }
    state
        .live
        .snapshots()
        .insert(now.profile_id.clone(), now.clone());
    if let Err(e) = app.emit_to(LAUNCHER_WINDOW, SESSIONS_CHANGED, &now) {
        tracing::warn!("could not send {SESSIONS_CHANGED}: {e}");
    }
    crate::tray::refresh(app);
}

fn session_ended<R: Runtime>(app: &AppHandle<R>, profile_name: &str, gone: &SessionView) {
    let state = app.state::<AppState>();
    let expected = state.live.ending().remove(&gone.id);
    let open: Vec<_> = {
        let mut tunnels = state.live.tunnels();
        let keys: Vec<String> = tunnels
            .iter()
            .filter(|(_, t)| t.session_id == gone.id)
            .map(|(k, _)| k.clone())
            .collect();
        keys.iter().filter_map(|k| tunnels.remove(k)).collect()
    };
    for t in &open {
        t.tunnel.close();
        notebooks::show_status(app, t, "ended");
    }
    if expected {
        return;
    }
    tracing::info!(session = %gone.name, profile = profile_name, "session ended remotely");
    notify::send(
        app,
        NotificationKind::SessionEnded,
        &format!("Session {} ended", gone.name),
        &format!(
            "The session \"{}\" on {profile_name} was ended on the server.",
            gone.name
        ),
    );
}

#[cfg(test)]
mod tests {
    use bai_core::client::{SessionStatus, SessionStatusRecord, SessionSummary};

    use super::*;

    fn summary(id: &str, status: &str) -> SessionSummary {
        serde_json::from_value(
            serde_json::json!({"id": id, "name": format!("nb-{id}"), "status": status}),
        )
        .expect("summary")
    }

    fn listing(items: Vec<SessionSummary>, complete: bool) -> SessionListing {
        SessionListing {
            total_count: items.len() as u64,
            items,
            complete,
        }
    }

    fn snapshot(items: &[SessionSummary]) -> SessionsSnapshot {
        SessionsSnapshot {
            profile_id: "p".into(),
            profile_name: "P".into(),
            sessions: items.iter().map(|s| SessionView::new(s, false)).collect(),
            error: None,
        }
    }

    fn alive(id: &str, status: &str) -> Absence {
        Absence::Alive(SessionStatusRecord {
            id: id.into(),
            name: None,
            status: SessionStatus::parse(status),
            status_info: None,
            access_key: None,
        })
    }

    fn run(prev: &SessionsSnapshot, listed: Result<Listed, CommandError>) -> Refresh {
        reconcile(Some(prev), "p", "P", listed, &|_| false)
    }

    fn kit_client(kit: &bai_testkit::TestKit, keys: (&str, &str)) -> Client {
        use bai_core::client::{ClientConfig, Credentials};
        let cfg = ClientConfig::new(
            bai_core::Endpoint::parse(&kit.manager_url()).expect("endpoint"),
            bai_core::EndpointKind::Api,
        );
        Client::new(cfg, Credentials::keypair(keys.0, keys.1)).expect("client")
    }

    async fn create(client: &Client, name: &str) -> String {
        let mut req = bai_core::client::CreateSession::new(
            name,
            "cr.backend.ai/stable/python:3.9-ubuntu20.04",
        );
        req.resources = std::collections::BTreeMap::from([
            ("cpu".into(), serde_json::json!(1)),
            ("mem".into(), serde_json::json!("1g")),
        ]);
        client
            .create_session(&req)
            .await
            .expect("create")
            .session_id
    }

    /// One watcher refresh against the testkit, as `run` does it.
    async fn refresh(client: &Client, prev: Option<&SessionsSnapshot>) -> Refresh {
        let listed = fetch(client, prev).await.map_err(CommandError::from);
        reconcile(prev, "p", "P", listed, &|_| false)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn against_the_testkit_only_own_sessions_and_no_false_ended() {
        use bai_testkit::{
            ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, TestKit, USER_ACCESS_KEY, USER_SECRET_KEY,
        };
        let kit = TestKit::start(Config::default()).await.expect("testkit");
        let admin = kit_client(&kit, (ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY));
        let user = kit_client(&kit, (USER_ACCESS_KEY, USER_SECRET_KEY));
        let mine = create(&admin, "watch-mine").await;
        let theirs = create(&user, "watch-theirs").await;
        kit.control().add_copies(&mine, 119);
        kit.control().add_copies(&theirs, 10);

        // The admin's watcher holds their own 120 sessions, across pages, and nobody else's.
        let first = refresh(&admin, None).await;
        assert!(first.snapshot.error.is_none(), "{:?}", first.snapshot.error);
        assert_eq!(first.snapshot.sessions.len(), 120);
        assert!(first.snapshot.sessions.iter().all(|s| s.id != theirs));
        let again = refresh(&admin, Some(&first.snapshot)).await;
        assert!(
            again.ended.is_empty(),
            "false ended: {:?}",
            ids(&again.ended)
        );
        assert_eq!(again.snapshot.sessions.len(), 120);

        // Each 26.x status, and one nobody knows: shown as is, never ended.
        let mut prev = again.snapshot;
        for status in [
            "PREEMPTED",
            "RESCHEDULING",
            "DEPRIORITIZING",
            "RUNNING_DEGRADED",
            "FROBNICATING",
        ] {
            assert!(kit.control().report_status(&mine, Some(status)));
            let r = refresh(&admin, Some(&prev)).await;
            assert!(r.ended.is_empty(), "{status}: {:?}", ids(&r.ended));
            let s = r
                .snapshot
                .sessions
                .iter()
                .find(|s| s.id == mine)
                .unwrap_or_else(|| panic!("{status}: session dropped"));
            assert_eq!(s.status, status);
            prev = r.snapshot;
        }

        // A session that really ended is noticed once.
        assert!(kit.control().report_status(&mine, None));
        assert!(kit.control().terminate_remotely(&mine));
        let mut ended = Vec::new();
        for _ in 0..100 {
            let r = refresh(&admin, Some(&prev)).await;
            prev = r.snapshot;
            ended = r.ended;
            if !ended.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(ids(&ended), [mine.as_str()]);
        assert_eq!(prev.sessions.len(), 119);
    }

    fn ids(v: &[SessionView]) -> Vec<&str> {
        v.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn statuses_of_26x_and_unknown_ones_never_end_a_session() {
        let prev = snapshot(&[summary("a", "RUNNING")]);
        for status in [
            "PREEMPTED",
            "RESCHEDULING",
            "DEPRIORITIZING",
            "RUNNING_DEGRADED",
            "FROBNICATING",
        ] {
            // Listed in that status.
            let r = run(
                &prev,
                Ok(Listed {
                    listing: listing(vec![summary("a", status)], true),
                    absences: vec![],
                }),
            );
            assert!(r.ended.is_empty(), "{status}: {r:?}");
            assert_eq!(r.snapshot.sessions[0].status, status, "shown as is");
            // Missing from the list (a status the list does not ask for), alive by its own.
            let r = run(
                &prev,
                Ok(Listed {
                    listing: listing(vec![], true),
                    absences: vec![("a".into(), alive("a", status))],
                }),
            );
            assert!(r.ended.is_empty(), "{status}: {r:?}");
            assert_eq!(r.snapshot.sessions[0].status, status);
        }
        let degraded = SessionView::new(&summary("a", "RUNNING_DEGRADED"), false);
        assert!(degraded.is_running() && degraded.degraded);
        let unknown = SessionView::new(&summary("a", "FROBNICATING"), false);
        assert_eq!(unknown.phase, StatusPhase::Unknown);
        assert!(!unknown.is_running());
    }

    #[test]
    fn a_partial_or_failed_listing_ends_nothing() {
        let items: Vec<_> = (0..120)
            .map(|i| summary(&format!("s{i}"), "RUNNING"))
            .collect();
        let prev = snapshot(&items);
        // Only the first page of 50 arrived.
        let r = run(
            &prev,
            Ok(Listed {
                listing: listing(items[..50].to_vec(), false),
                absences: vec![],
            }),
        );
        assert!(r.ended.is_empty(), "{:?}", ids(&r.ended));
        assert_eq!(r.snapshot.sessions.len(), 120, "the rest is kept as it was");
        // The listing failed.
        let r = run(
            &prev,
            Err(CommandError::new("network-error", "unreachable")),
        );
        assert!(r.ended.is_empty());
        assert_eq!(r.snapshot.sessions.len(), 120);
        assert!(r.snapshot.error.is_some());
        // Complete, all 120: nothing ended either.
        let r = run(
            &prev,
            Ok(Listed {
                listing: listing(items.clone(), true),
                absences: vec![],
            }),
        );
        assert!(r.ended.is_empty());
        assert_eq!(r.snapshot.sessions.len(), 120);
    }

    #[test]
    fn a_session_ends_only_by_its_own_status_or_an_ended_listing() {
        let prev = snapshot(&[
            summary("gone", "RUNNING"),
            summary("unsure", "RUNNING"),
            summary("listed-ended", "RUNNING"),
            summary("stays", "RUNNING"),
        ]);
        let r = run(
            &prev,
            Ok(Listed {
                listing: listing(
                    vec![
                        summary("listed-ended", "TERMINATED"),
                        summary("stays", "RUNNING"),
                    ],
                    true,
                ),
                absences: vec![
                    ("gone".into(), Absence::Ended),
                    ("unsure".into(), Absence::Unsure),
                ],
            }),
        );
        let mut ended = ids(&r.ended);
        ended.sort_unstable();
        assert_eq!(ended, ["gone", "listed-ended"]);
        let mut kept = ids(&r.snapshot.sessions);
        kept.sort_unstable();
        assert_eq!(kept, ["stays", "unsure"]);
        // A session first seen already ended is not news.
        let r = run(
            &snapshot(&[]),
            Ok(Listed {
                listing: listing(vec![summary("old", "CANCELLED")], true),
                absences: vec![],
            }),
        );
        assert!(r.ended.is_empty() && r.snapshot.sessions.is_empty());
    }
}
