//! The session service's flows without any window: a stand-in front end subscribes to its
//! events the way the desktop app's notebook windows do (it "opens a window" on each ready
//! tunnel and reports it), against the testkit. Launch → ready → window → ended on the server
//! (status page, notice, tunnel closed); quick start shown again, then attached to rather than
//! duplicated; terminate from the app (windows closed, no "ended" notice), and not another
//! user's session; a window that cannot open fails its launch.

mod common;

use std::sync::atomic::Ordering;

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::launch::LaunchPhase;
use bai_core::live::{LiveEvent, NoticeKind, QUICK_START_NAME};
use bai_core::profile::ProfileStore;
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{USER_ACCESS_KEY, USER_SECRET_KEY};
use common::service::*;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_opens_a_window_and_an_end_on_the_server_shows_in_it() {
    let f = fixture().await;
    let mut rx = f.svc.subscribe();
    let windows = front_end(&f.svc, false);

    let launch = f
        .svc
        .start_launch(&f.profile, form("flow-remote"), false)
        .await
        .expect("launch starts");
    let started = next(&mut rx, "launch-started", |e| match e {
        LiveEvent::LaunchStarted(v) => Some(v.clone()),
        _ => None,
    })
    .await;
    assert_eq!(started.launch_id, launch);
    let view = ended(&mut rx, &launch).await;
    assert_eq!(view.phase, LaunchPhase::Ready, "{view:?}");
    let session = view.session_id.clone().expect("a session");
    until("the window is registered", || f.svc.is_open(&session)).await;
    assert!(
        f.svc
            .notices()
            .iter()
            .any(|n| n.kind == NoticeKind::SessionReady && n.title == "flow-remote is ready"),
        "{:?}",
        f.svc.notices()
    );
    let c = f.svc.counts();
    assert_eq!((c.tunnels, c.running_launches), (1, 0), "{c:?}");
    // The list shows it open.
    until("the list shows the window", || {
        f.svc.snapshots().iter().any(|s| {
            s.sessions
                .iter()
                .any(|v| v.id == session && v.open && v.is_running())
        })
    })
    .await;

    assert!(f.kit.control().terminate_remotely(&session));
    let lost = next(&mut rx, "the tunnel lost", |e| match e {
        LiveEvent::TunnelLost(t) if t.session_id == session => Some(t.clone()),
        _ => None,
    })
    .await;
    assert!(lost.windows.contains(&format!("w-{session}")), "{lost:?}");
    let notice = next(&mut rx, "the ended notice", |e| match e {
        LiveEvent::Notice(n) if n.kind == NoticeKind::SessionEnded => Some(n.clone()),
        _ => None,
    })
    .await;
    assert!(notice.body.contains("\"flow-remote\" on Lab"), "{notice:?}");
    assert_eq!(f.closed.load(Ordering::SeqCst), 1, "its tunnel is closed");
    let c = f.svc.counts();
    assert_eq!(c.tunnels, 0, "{c:?}");
    assert!(!f.svc.is_open(&session));
    until("the window saw it", || {
        seen(&windows).contains(&"status page flow-remote".to_owned())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_start_shows_its_window_again_then_attaches_rather_than_duplicates() {
    let f = fixture().await;
    let mut rx = f.svc.subscribe();
    let windows = front_end(&f.svc, false);

    let first = f.svc.quick_start().await.expect("quick start");
    assert!(!first.reused);
    let launch = first.launch_id.expect("a launch");
    let view = ended(&mut rx, &launch).await;
    assert_eq!(view.phase, LaunchPhase::Ready, "{view:?}");
    let session = view.session_id.expect("a session");
    until("the window is registered", || f.svc.is_open(&session)).await;

    // Again while its window is open: the window is shown, nothing is launched.
    let again = f.svc.quick_start().await.expect("quick start again");
    assert!(again.reused && again.launch_id.is_none(), "{again:?}");
    next(&mut rx, "focus", |e| match e {
        LiveEvent::Focus(t) if t.session_id == session => Some(()),
        _ => None,
    })
    .await;

    // The window closed (the session keeps running): the tunnel closes with it, and the next
    // quick start attaches to the same session.
    f.svc.window_closed(&format!("w-{session}"));
    assert_eq!(f.closed.load(Ordering::SeqCst), 1);
    assert_eq!(f.svc.counts().tunnels, 0);
    let third = f.svc.quick_start().await.expect("quick start a third time");
    let view = ended(&mut rx, &third.launch_id.expect("a launch")).await;
    assert_eq!(view.phase, LaunchPhase::Ready, "{view:?}");
    assert_eq!(
        view.session_id.as_deref(),
        Some(session.as_str()),
        "the same session"
    );
    let named: Vec<_> = f
        .kit
        .control()
        .sessions()
        .into_iter()
        .filter(|s| s.name == QUICK_START_NAME)
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
    until("the second window", || {
        seen(&windows)
            .iter()
            .filter(|l| *l == &format!("window {QUICK_START_NAME}"))
            .count()
            == 2
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_closes_the_windows_says_nothing_and_spares_other_users_sessions() {
    let f = fixture().await;
    let mut rx = f.svc.subscribe();
    let windows = front_end(&f.svc, false);
    f.svc.watch(Some(f.profile.clone())).await;

    let launch = f
        .svc
        .start_launch(&f.profile, form("flow-end"), false)
        .await
        .expect("launch");
    let session = ended(&mut rx, &launch).await.session_id.expect("a session");
    until("the window is registered", || f.svc.is_open(&session)).await;

    // What the tray's Terminate does.
    f.svc
        .terminate(&f.profile, &session)
        .await
        .expect("terminated");
    next(&mut rx, "the tunnel closed", |e| match e {
        LiveEvent::TunnelClosed(t) if t.session_id == session => Some(()),
        _ => None,
    })
    .await;
    // The watcher sees it gone; that is no news, since the app ended it.
    next(&mut rx, "a list without it", |e| match e {
        LiveEvent::SessionsChanged(s) if !s.sessions.iter().any(|v| v.id == session) => Some(()),
        _ => None,
    })
    .await;
    assert!(
        !f.svc
            .notices()
            .iter()
            .any(|n| n.kind == NoticeKind::SessionEnded),
        "{:?}",
        f.svc.notices()
    );
    let c = f.svc.counts();
    assert_eq!((c.tunnels, c.ending), (0, 0), "{c:?}");
    until("the window closed", || {
        seen(&windows).contains(&"closed flow-end".to_owned())
    })
    .await;

    // Another user's session, visible to this admin account, is not ended.
    let user = Client::new(
        ClientConfig::new(
            Endpoint::parse(&f.kit.manager_url()).expect("endpoint"),
            EndpointKind::Api,
        ),
        Credentials::keypair(USER_ACCESS_KEY, USER_SECRET_KEY),
    )
    .expect("client");
    let theirs = user
        .create_session(&CreateSession::new("theirs", IMAGE))
        .await
        .expect("create")
        .session_id;
    let e = f
        .svc
        .terminate(&f.profile, &theirs)
        .await
        .expect_err("not ours");
    assert_eq!(e.code(), "not-own-session");
    assert!(
        f.kit
            .control()
            .sessions()
            .iter()
            .any(|s| s.id.to_string() == theirs && !s.status.is_terminal()),
        "their session still runs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_that_cannot_open_fails_its_launch_and_closes_the_tunnel() {
    let f = fixture().await;
    let mut rx = f.svc.subscribe();
    front_end(&f.svc, true);
    let launch = f
        .svc
        .start_launch(&f.profile, form("flow-nowin"), false)
        .await
        .expect("launch");
    // Ready first, then failed when the window could not open.
    assert_eq!(ended(&mut rx, &launch).await.phase, LaunchPhase::Ready);
    let failed = ended(&mut rx, &launch).await;
    assert_eq!(failed.phase, LaunchPhase::Failed, "{failed:?}");
    assert_eq!(
        failed.error.as_ref().map(|e| e.code.as_str()),
        Some("window-failed")
    );
    assert_eq!(
        f.svc.launch_status(&launch).expect("kept").phase,
        LaunchPhase::Failed
    );
    assert_eq!(f.closed.load(Ordering::SeqCst), 1);
    assert_eq!(f.svc.counts().tunnels, 0);
    assert!(
        f.svc
            .notices()
            .iter()
            .any(|n| n.kind == NoticeKind::LaunchFailed),
        "{:?}",
        f.svc.notices()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_profile_is_no_longer_watched() {
    let f = fixture().await;
    f.svc.watch(Some(f.profile.clone())).await;
    assert_eq!(f.svc.counts().watchers, 1);
    ProfileStore::new(f._dir.path())
        .remove(&f.profile)
        .expect("removed");
    f.svc.sync().await;
    let c = f.svc.counts();
    assert_eq!((c.watchers, c.snapshots), (0, 0), "{c:?}");
}
