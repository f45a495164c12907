//! One task per watched profile: it lists the profile's sessions, publishes
//! [`LiveEvent::SessionsChanged`] when the list changes, and notices sessions that ended
//! without the app asking (their tunnels are closed, a notice is given).
//!
//! Watched: the profile a front end shows, the default profile (the tray lists its sessions),
//! and every profile with an open tunnel or a launch in flight. The task wakes every
//! `Options::refresh` and at once after the app's own actions.

use std::collections::HashSet;
use std::sync::{Arc, Weak};

use super::events::{LiveEvent, NoticeKind};
use super::state::WatcherHandle;
use super::views::{Problem, SessionView, SessionsSnapshot};
use super::{Inner, SessionService};
use crate::client::{Absence, Client, SessionListing, StatusFilter, StatusPhase};

impl SessionService {
    /// Show `profile_id`'s sessions (None: no profile shown). Returns the last known list at
    /// once; fresher ones follow as events.
    pub async fn watch(&self, profile_id: Option<String>) -> Option<SessionsSnapshot> {
        *self.inner.maps.visible() = profile_id.clone();
        self.sync().await;
        let id = profile_id?;
        self.wake(&id);
        self.inner.maps.snapshots().get(&id).cloned()
    }

    /// Every watched profile's last list.
    pub fn snapshots(&self) -> Vec<SessionsSnapshot> {
        self.inner.maps.snapshots().values().cloned().collect()
    }

    /// Start the watchers that are wanted and stop the others.
    pub async fn sync(&self) {
        let loaded = self.load_profiles().await;
        let maps = &self.inner.maps;
        let mut wanted: HashSet<String> = HashSet::new();
        if let Some(v) = maps.visible().clone() {
            wanted.insert(v);
        }
        match loaded {
            Ok(loaded) => {
                if let Some(d) = loaded.default_profile() {
                    wanted.insert(d.id.clone());
                }
                wanted.extend(maps.tunnels().values().map(|t| t.profile_id.clone()));
                // Only launches still running: an ended one is no reason to keep listing.
                wanted.extend(maps.running_launch_profiles());
                // A removed profile is not watched, whatever else refers to it.
                let known: HashSet<String> = loaded.list().iter().map(|p| p.id.clone()).collect();
                wanted.retain(|id| known.contains(id));
            }
            Err(e) => tracing::warn!("cannot read the profiles: {e}"),
        }
        {
            let mut watchers = maps.watchers();
            watchers.retain(|id, _| wanted.contains(id));
            for id in wanted {
                if watchers.contains_key(&id) {
                    continue;
                }
                let wake = Arc::new(tokio::sync::Notify::new());
                let task = self.spawn(run(self.downgrade(), id.clone(), wake.clone()));
                watchers.insert(id, WatcherHandle { task, wake });
            }
        }
        // Forget lists of profiles no longer watched, so only what is current is shown.
        let watched: HashSet<String> = maps.watchers().keys().cloned().collect();
        maps.snapshots().retain(|id, _| watched.contains(id));
        self.forget_idle(&watched);
        self.publish(LiveEvent::WatchedChanged);
    }

    /// List `profile_id` now (after the app changed something there).
    pub fn wake(&self, profile_id: &str) {
        if let Some(w) = self.inner.maps.watchers().get(profile_id) {
            w.wake.notify_one();
        }
    }

    /// Take in a fresh snapshot and tell the subscribers.
    fn apply(&self, previous: Option<SessionsSnapshot>, now: SessionsSnapshot) {
        if previous.as_ref() == Some(&now) {
            return;
        }
        if let Some(e) = &now.error
            && previous.as_ref().and_then(|p| p.error.as_ref()) != Some(e)
        {
            tracing::warn!(profile = %now.profile_name, code = %e.code, "cannot list sessions: {}", e.message);
        }
        self.inner
            .maps
            .snapshots()
            .insert(now.profile_id.clone(), now.clone());
        self.publish(LiveEvent::SessionsChanged(now));
    }

    fn session_ended(&self, profile_name: &str, gone: &SessionView) {
        let expected = self.inner.maps.ending().remove(&gone.id);
        for t in self.take_session_tunnels(&gone.id) {
            t.tunnel.close();
            self.publish(LiveEvent::TunnelLost(t));
        }
        if expected {
            return;
        }
        tracing::info!(session = %gone.name, profile = profile_name, "session ended remotely");
        self.notice(
            NoticeKind::SessionEnded,
            format!("Session {} ended", gone.name),
            format!(
                "The session \"{}\" on {profile_name} was ended on the server.",
                gone.name
            ),
        );
    }
}

async fn run(weak: Weak<Inner>, profile_id: String, wake: Arc<tokio::sync::Notify>) {
    let mut client: Option<Client> = None;
    loop {
        // The service is gone (the front end quit): so is this task.
        let Some(svc) = SessionService::from_weak(&weak) else {
            return;
        };
        let interval = svc.inner.options.refresh;
        let profile = match svc
            .load_profiles()
            .await
            .map(|l| l.get(&profile_id).cloned())
        {
            Ok(Ok(p)) => Some(p),
            // The profile is gone: nothing to watch any more.
            Ok(Err(_)) => return,
            Err(e) => {
                tracing::warn!("cannot read the profiles: {e}");
                None
            }
        };
        if let Some(profile) = profile {
            let previous = svc.inner.maps.snapshots().get(&profile_id).cloned();
            let listed = async {
                let c = match client.take() {
                    Some(c) => c,
                    None => svc.connect(&profile).await?,
                };
                let listed = fetch(&c, previous.as_ref()).await?;
                client = Some(c);
                Ok::<_, crate::Error>(listed)
            }
            .await;
            let refresh = reconcile(
                previous.as_ref(),
                &profile_id,
                &profile.name,
                listed.map_err(|e| svc.word(&e)),
                &|id| svc.is_open(id),
            );
            for gone in &refresh.ended {
                svc.session_ended(&profile.name, gone);
            }
            // The list first, so whatever a warning makes a front end show is current.
            let listed = refresh.snapshot.clone();
            svc.apply(previous, refresh.snapshot);
            svc.guard_idle(&listed);
        }
        drop(svc);
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = wake.notified() => {}
        }
    }
}

/// A fresh listing of the caller's own sessions, with the own status of each session the
/// listing no longer holds.
#[derive(Debug)]
pub struct Listed {
    pub listing: SessionListing,
    pub absences: Vec<(String, Absence)>,
}

/// List the caller's own sessions (every page), and ask each session a complete listing lost
/// for its own status.
pub async fn fetch(
    client: &Client,
    previous: Option<&SessionsSnapshot>,
) -> Result<Listed, crate::Error> {
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
pub struct Refresh {
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
pub fn reconcile(
    previous: Option<&SessionsSnapshot>,
    profile_id: &str,
    profile_name: &str,
    listed: Result<Listed, Problem>,
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

#[cfg(test)]
mod tests {
    use crate::client::{SessionStatus, SessionStatusRecord, SessionSummary};

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

    fn run(prev: &SessionsSnapshot, listed: Result<Listed, Problem>) -> Refresh {
        reconcile(Some(prev), "p", "P", listed, &|_| false)
    }

    fn kit_client(kit: &bai_testkit::TestKit, keys: (&str, &str)) -> Client {
        use crate::client::{ClientConfig, Credentials};
        let cfg = ClientConfig::new(
            crate::Endpoint::parse(&kit.manager_url()).expect("endpoint"),
            crate::EndpointKind::Api,
        );
        Client::new(cfg, Credentials::keypair(keys.0, keys.1)).expect("client")
    }

    async fn create(client: &Client, name: &str) -> String {
        let mut req =
            crate::client::CreateSession::new(name, "cr.backend.ai/stable/python:3.9-ubuntu20.04");
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
        let listed = fetch(client, prev).await.map_err(|e| Problem::neutral(&e));
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
        let r = run(&prev, Err(Problem::new("network-error", "unreachable")));
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
